using Atlas.Domain.Errors;
using Atlas.Infrastructure.Imaging;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.Imaging;

[TestFixture]
public sealed class ImageDecoderTests
{
    private static readonly ImageDecoder Decoder = new();

    private static RgbImage DecodeShared(string name) => Decoder.Decode(File.ReadAllBytes(SharedData.RequireFile("images", name)));

    private static double MeanAbsDiff(RgbImage a, RgbImage b)
    {
        Assert.That((a.Width, a.Height), Is.EqualTo((b.Width, b.Height)));
        ReadOnlySpan<byte> pa = a.Pixels, pb = b.Pixels;
        long sum = 0;
        for (var i = 0; i < pa.Length; i++) sum += Math.Abs(pa[i] - pb[i]);
        return (double)sum / pa.Length;
    }

    private static (byte R, byte G, byte B) At(RgbImage image, int x, int y)
    {
        var p = image.Pixels.Slice(((y * image.Width) + x) * 3, 3);
        return (p[0], p[1], p[2]);
    }

    [TestCase("african_elephants.jpg")]
    [TestCase("african_elephants_bw.jpg")]
    [TestCase("african_elephants_cmyk.jpg")]
    [TestCase("african_elephants_truncated_file.jpg")]
    [TestCase("african_elephants_with_exif_orientation.jpg")]
    public void Decode_ElephantVariants_Upright2048x1536(string name)
    {
        using var image = DecodeShared(name);

        Assert.That((image.Width, image.Height), Is.EqualTo((2048, 1536)));
        Assert.That(image.Pixels.Length, Is.EqualTo(2048 * 1536 * 3));
    }

    [Test]
    public void Decode_ExifRotatedElephants_MatchesBaseline()
    {
        using var baseline = DecodeShared("african_elephants.jpg");
        using var rotated = DecodeShared("african_elephants_with_exif_orientation.jpg");

        // The file stores 1536x2048 pixels with orientation 6 and was re-encoded (measured diff 1.73);
        // a missing or wrong rotation would not even have the baseline's dimensions.
        Assert.That(MeanAbsDiff(baseline, rotated), Is.LessThan(3.0));
    }

    [Test]
    public void Decode_CmykElephants_ColoursMatchBaseline()
    {
        using var baseline = DecodeShared("african_elephants.jpg");
        using var cmyk = DecodeShared("african_elephants_cmyk.jpg");

        // Measured 1.17; a wrong (non-inverted) CMYK reading gives a photographic negative, diff > 100.
        Assert.That(MeanAbsDiff(baseline, cmyk), Is.LessThan(3.0));
    }

    [Test]
    public void Decode_GreyscaleElephants_EqualChannelsCloseToBaselineLuma()
    {
        using var baseline = DecodeShared("african_elephants.jpg");
        using var grey = DecodeShared("african_elephants_bw.jpg");

        ReadOnlySpan<byte> g = grey.Pixels, b = baseline.Pixels;
        var unequal = 0;
        double lumaDiff = 0;
        for (var i = 0; i < g.Length; i += 3)
        {
            if (g[i] != g[i + 1] || g[i] != g[i + 2]) unequal++;
            lumaDiff += Math.Abs(g[i] - ((0.299 * b[i]) + (0.587 * b[i + 1]) + (0.114 * b[i + 2])));
        }
        Assert.That(unequal, Is.Zero);
        Assert.That(lumaDiff / (g.Length / 3), Is.LessThan(3.0));
    }

    [Test]
    public void Decode_TruncatedElephants_DecodedPrefixExactRestGrey()
    {
        using var baseline = DecodeShared("african_elephants.jpg");
        using var truncated = DecodeShared("african_elephants_truncated_file.jpg");

        // The 600,000-byte prefix holds the first 1328 rows; PIL/libjpeg leaves the rest mid-grey.
        var rowBytes = baseline.Stride;
        Assert.That(truncated.Pixels[..(1300 * rowBytes)].SequenceEqual(baseline.Pixels[..(1300 * rowBytes)]), Is.True);
        Assert.That(truncated.Pixels[(1400 * rowBytes)..].ContainsAnyExcept((byte)128), Is.False);
    }

    [Test]
    public void Decode_PngWithAlpha_DropsAlphaKeepsColour()
    {
        var png = TestImages.Png(3, 1, (x, _) => x switch
        {
            0 => ((byte)200, (byte)100, (byte)50, (byte)0),
            1 => ((byte)10, (byte)20, (byte)30, (byte)128),
            _ => ((byte)255, (byte)255, (byte)255, (byte)255),
        });

        using var image = Decoder.Decode(png);

        Assert.That(image.Pixels.ToArray(), Is.EqualTo(new byte[] { 200, 100, 50, 10, 20, 30, 255, 255, 255 }));
    }

    [Test]
    public void Decode_Bmp_ExactPixels()
    {
        var bmp = TestImages.Bmp(3, 2, (x, y) => ((byte)(x * 50), (byte)(y * 70), 9));

        using var image = Decoder.Decode(bmp);

        Assert.That((image.Width, image.Height), Is.EqualTo((3, 2)));
        Assert.That(At(image, 2, 1), Is.EqualTo(((byte)100, (byte)70, (byte)9)));
        Assert.That(At(image, 0, 0), Is.EqualTo(((byte)0, (byte)0, (byte)9)));
    }

    [Test]
    public void Decode_LosslessWebP_ExactPixels()
    {
        var webp = TestImages.Encode(5, 4, (x, y) => ((byte)(x * 40), (byte)(y * 60), 200), SKEncodedImageFormat.Webp);

        using var image = Decoder.Decode(webp);

        Assert.That((image.Width, image.Height), Is.EqualTo((5, 4)));
        Assert.That(At(image, 4, 3), Is.EqualTo(((byte)160, (byte)180, (byte)200)));
    }

    [Test]
    public void Decode_AnimatedGif_FirstFrame()
    {
        using var image = Decoder.Decode(Convert.FromBase64String(TestImages.TwoFrameGifBase64));

        Assert.That(image.Pixels.ToArray(), Is.EqualTo(new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 }));
    }

    // Source quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.
    // Expected upright quadrants (TL, TR, BL, BR) per EXIF orientation, from the EXIF/PIL definitions.
    [TestCase(1, "RGBW", false)]
    [TestCase(2, "GRWB", false)]
    [TestCase(3, "WBGR", false)]
    [TestCase(4, "BWRG", false)]
    [TestCase(5, "RBGW", true)]
    [TestCase(6, "BRWG", true)]
    [TestCase(7, "WGBR", true)]
    [TestCase(8, "GWRB", true)]
    public void Decode_JpegWithExifOrientation_Upright(int orientation, string quadrants, bool swapsAxes)
    {
        const int w = 64, h = 32;
        var jpeg = TestImages.Encode(w, h, (x, y) => (x < w / 2, y < h / 2) switch
        {
            (true, true) => ((byte)255, (byte)0, (byte)0),
            (false, true) => ((byte)0, (byte)255, (byte)0),
            (true, false) => ((byte)0, (byte)0, (byte)255),
            _ => ((byte)255, (byte)255, (byte)255),
        }, SKEncodedImageFormat.Jpeg);

        using var image = Decoder.Decode(TestImages.WithExifOrientation(jpeg, orientation));

        Assert.That((image.Width, image.Height), Is.EqualTo(swapsAxes ? (h, w) : (w, h)));
        int qx = image.Width / 4, qy = image.Height / 4;
        (int X, int Y)[] centres = [(qx, qy), (3 * qx, qy), (qx, 3 * qy), (3 * qx, 3 * qy)];
        for (var q = 0; q < 4; q++)
        {
            var (r, g, b) = At(image, centres[q].X, centres[q].Y);
            (int R, int G, int B) want = quadrants[q] switch
            {
                'R' => (255, 0, 0),
                'G' => (0, 255, 0),
                'B' => (0, 0, 255),
                _ => (255, 255, 255),
            };
            Assert.That(Math.Abs(r - want.R) + Math.Abs(g - want.G) + Math.Abs(b - want.B), Is.LessThan(30),
                $"quadrant {q} should be {quadrants[q]} but is ({r},{g},{b})");
        }
    }

    [Test]
    public void Decode_HeaderAnnouncesHugePng_TooLargeWithoutAllocating()
    {
        var png = TestImages.PngHeaderOnly(50_000, 50_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<ImageTooLargeException>(() => Decoder.Decode(png));

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1_000_000));
        Assert.That(ex!.Message, Does.Contain("50000x50000"));
    }

    [Test]
    public void Decode_ConfiguredPixelLimit_IsEnforced()
    {
        var decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 15 });
        var png = TestImages.Png(4, 4, (_, _) => (0, 0, 0, 255));

        Assert.Throws<ImageTooLargeException>(() => decoder.Decode(png));
        using var small = decoder.Decode(TestImages.Png(5, 3, (_, _) => (0, 0, 0, 255)));
        Assert.That(small.Width, Is.EqualTo(5));
    }

    [Test]
    public void Constructor_NonPositiveLimit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 0 }));
    }

    [Test]
    public void Decode_GarbageBytes_DecodeExceptionNamingSupportedFormats()
    {
        var garbage = new byte[1000];
        new Random(42).NextBytes(garbage);
        garbage[0] = 0x42; garbage[1] = 0x00;

        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(garbage));

        Assert.That(ex!.Message, Does.Contain("JPEG, PNG, WebP, GIF, BMP or TIFF"));
    }

    [Test]
    public void Decode_Empty_DecodeException()
    {
        Assert.Throws<ImageDecodeException>(() => Decoder.Decode([]));
    }

    [Test]
    public void Decode_TiffWithEmptyDirectory_DecodeExceptionNamingTiff()
    {
        byte[] tiff = [(byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(tiff));

        Assert.That(ex!.Message, Does.Contain("TIFF"));
    }

    [Test]
    public void Decode_JpegCutInsideHeader_DecodeException()
    {
        var jpeg = TestImages.Encode(16, 16, (_, _) => (1, 2, 3), SKEncodedImageFormat.Jpeg);

        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(jpeg.AsSpan(0, 20)));

        Assert.That(ex!.Message, Does.Contain("JPEG"));
    }

    [Test]
    public void Dispose_Twice_IsHarmlessAndPixelsThrowAfter()
    {
        var image = RgbImage.Allocate(2, 2);
        image.Dispose();
        image.Dispose();

        Assert.Throws<ObjectDisposedException>(() => _ = image.Pixels);
    }
}
