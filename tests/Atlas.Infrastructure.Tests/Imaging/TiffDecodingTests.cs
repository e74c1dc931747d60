using Atlas.Domain.Errors;
using Atlas.Infrastructure.Imaging;
using BitMiracle.LibTiff.Classic;

namespace Atlas.Infrastructure.Tests.Imaging;

/// <summary>TIFF through <see cref="ImageDecoder"/> (LibTiff.NET): the upload intake accepts TIFF, so it must decode.</summary>
[TestFixture]
public sealed class TiffDecodingTests
{
    private static readonly ImageDecoder Decoder = new();

    private static (byte R, byte G, byte B) Pattern(int x, int y) => ((byte)(x * 40), (byte)(y * 60), (byte)(x * 10 + y));

    private static void AssertPixels(RgbImage image, Func<int, int, (byte R, byte G, byte B)> expected)
    {
        var pixels = image.Pixels;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var i = 3 * (y * image.Width + x);
                Assert.That((pixels[i], pixels[i + 1], pixels[i + 2]), Is.EqualTo(expected(x, y)), $"pixel ({x},{y})");
            }
        }
    }

    [TestCase(Compression.NONE)]
    [TestCase(Compression.LZW)]
    public void Decode_RgbTiff_ExactPixels(Compression compression)
    {
        using var image = Decoder.Decode(TestImages.Tiff(5, 3, Pattern, compression: compression));

        Assert.That((image.Width, image.Height), Is.EqualTo((5, 3)));
        AssertPixels(image, Pattern);
    }

    [Test]
    public void Decode_GreyscaleTiff_GreyRgb()
    {
        using var image = Decoder.Decode(TestImages.Tiff(4, 2, (x, y) => ((byte)(x * 50 + y), 0, 0), grey: true));

        AssertPixels(image, (x, y) => ((byte)(x * 50 + y), (byte)(x * 50 + y), (byte)(x * 50 + y)));
    }

    [Test]
    public void Decode_BottomLeftOrientation_ComesOutUpright()
    {
        // Rows stored bottom-up (Orientation 4): file row 0 is the picture's last row.
        using var image = Decoder.Decode(TestImages.Tiff(5, 3, (x, y) => Pattern(x, 2 - y), orientation: Orientation.BOTLEFT));

        AssertPixels(image, Pattern);
    }

    [Test]
    public void Decode_TiffOverPixelLimit_ImageTooLargeBeforeDecoding()
    {
        var small = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 100 });

        var ex = Assert.Throws<ImageTooLargeException>(() => small.Decode(TestImages.Tiff(20, 10, Pattern)));

        Assert.That(ex!.Message, Does.Contain("20x10"));
    }

    [Test]
    public void Decode_TiffCutShort_DecodeExceptionNamingTiff()
    {
        var tiff = TestImages.Tiff(64, 64, Pattern);

        var ex = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(tiff.AsSpan(0, 10)));

        Assert.That(ex!.Message, Does.Contain("TIFF"));
    }

    /// <summary>
    /// A valid TIFF header followed by random bytes: the first directory offset points anywhere, often outside the
    /// file. LibTiff.NET then throws whatever its stream throws (ArgumentOutOfRangeException from MemoryStream.Seek,
    /// IndexOutOfRange…); every such case must surface as an <see cref="ImageDecodeException"/> (422), never as
    /// another exception type (500).
    /// </summary>
    [TestCase("II*\0")]
    [TestCase("MM\0*")]
    public void Decode_ValidHeaderRandomDirectoryOffset_AlwaysDecodeException(string header)
    {
        var random = new Random(12);
        for (var trial = 0; trial < 200; trial++)
        {
            var bytes = new byte[4 + random.Next(4, 600)];
            random.NextBytes(bytes);
            System.Text.Encoding.ASCII.GetBytes(header).CopyTo(bytes, 0);

            Assert.That(() => Decoder.Decode(bytes).Dispose(), Throws.InstanceOf<ImageDecodeException>().Or.InstanceOf<ImageTooLargeException>(),
                $"trial {trial}: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(16, bytes.Length)))}");
        }
    }
}
