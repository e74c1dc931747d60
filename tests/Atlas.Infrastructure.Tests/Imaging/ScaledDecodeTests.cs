using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Imaging;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.Imaging;

/// <summary>
/// Scaled JPEG decode for the detector (<see cref="ImageDecoder.TryDecodeScaled"/>) and the full-resolution region
/// decode for the classifier crop (<see cref="ImageDecoder.TryDecodeRegion"/>).
/// </summary>
[TestFixture]
public sealed class ScaledDecodeTests
{
    // Measured on this noisy texture: max 0.106, mean 0.0167 (0-1 scale); BENCHMARKS.md has the photo numbers.
    private const double MaxTolerance = 0.25;
    private const double MeanTolerance = 0.02;

    private static readonly ImageDecoder Decoder = new();

    private static readonly Lazy<byte[]> Large = new(() => Texture(2600, 1950));

    private static (int, int) LetterboxNeed(int width, int height)
    {
        var g = LetterboxGeometry.Compute(width, height);
        return (g.ResizedWidth, g.ResizedHeight);
    }

    /// <summary>Gradients, a sine texture and hashed noise: a JPEG with detail at every scale.</summary>
    private static byte[] Texture(int width, int height, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var noise = (int)((uint)((x * 73856093) ^ (y * 19349663)) % 41) - 20;
                var i = ((y * width) + x) * 4;
                pixels[i] = (byte)Math.Clamp((x * 255 / width) + noise, 0, 255);
                pixels[i + 1] = (byte)Math.Clamp(128 + (int)(80 * Math.Sin(x / 9.0) * Math.Cos(y / 13.0)) + noise, 0, 255);
                pixels[i + 2] = (byte)Math.Clamp((y * 255 / height) - noise, 0, 255);
                pixels[i + 3] = 255;
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    private static float[] LetterboxExact(byte[] jpeg, out LetterboxGeometry geometry)
    {
        using var image = Decoder.Decode(jpeg);
        geometry = LetterboxGeometry.Compute(image.Width, image.Height);
        var tensor = new float[geometry.TensorLength];
        Letterbox.ToTensor(image, geometry, tensor);
        return tensor;
    }

    private static (double Max, double Mean) Diff(float[] a, float[] b)
    {
        double max = 0, sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        return (max, sum / a.Length);
    }

    [Test]
    public void Scaled_LargeJpeg_TensorWithinToleranceOfExact()
    {
        var exact = LetterboxExact(Large.Value, out var geometry);

        using var scaled = Decoder.TryDecodeScaled(Large.Value, LetterboxNeed, out var fullWidth, out var fullHeight);

        Assert.That(scaled, Is.Not.Null);
        Assert.That((fullWidth, fullHeight), Is.EqualTo((2600, 1950)));
        Assert.That((scaled!.Width, scaled.Height), Is.EqualTo((1300, 975)));
        var tensor = new float[geometry.TensorLength];
        Letterbox.ToTensorFromScaled(scaled, geometry, tensor);
        var (max, mean) = Diff(exact, tensor);
        TestContext.Out.WriteLine($"scaled vs exact letterbox: max {max:F4}, mean {mean:F5}");
        Assert.That(max, Is.LessThan(MaxTolerance));
        Assert.That(mean, Is.LessThan(MeanTolerance));
    }

    [Test]
    public void ToTensorFromScaled_FullResolutionImage_BitIdenticalToExact()
    {
        var exact = LetterboxExact(Large.Value, out var geometry);
        using var image = Decoder.Decode(Large.Value);
        var tensor = new float[geometry.TensorLength];

        Letterbox.ToTensorFromScaled(image, geometry, tensor);

        Assert.That(tensor, Is.EqualTo(exact));
    }

    [TestCase(1280, 960)]
    [TestCase(2000, 1500)]
    [TestCase(640, 480)]
    public void Scaled_ImageNotTwiceTheLetterbox_NotScaled(int width, int height)
    {
        var jpeg = Texture(width, height);

        using var scaled = Decoder.TryDecodeScaled(jpeg, LetterboxNeed, out var fullWidth, out _);

        Assert.That(scaled, Is.Null);
        Assert.That(fullWidth, Is.Zero);
    }

    [Test]
    public void Scaled_NotJpeg_NotScaled()
    {
        var png = TestImages.Encode(2600, 20, (x, y) => ((byte)x, (byte)y, 0), SKEncodedImageFormat.Png);

        using var scaled = Decoder.TryDecodeScaled(png, (_, _) => (1, 1), out _, out _);

        Assert.That(scaled, Is.Null);
    }

    [TestCase(3)]
    [TestCase(6)]
    [TestCase(8)]
    public void Scaled_ExifOrientation_AppliedAsInExactDecode(int orientation)
    {
        var jpeg = TestImages.WithExifOrientation(Large.Value, orientation);
        var exact = LetterboxExact(jpeg, out var geometry);

        using var scaled = Decoder.TryDecodeScaled(jpeg, LetterboxNeed, out var fullWidth, out var fullHeight);

        Assert.That(scaled, Is.Not.Null);
        var swaps = orientation >= 5;
        Assert.That((fullWidth, fullHeight), Is.EqualTo(swaps ? (1950, 2600) : (2600, 1950)));
        Assert.That((scaled!.Width, scaled.Height), Is.EqualTo(swaps ? (975, 1300) : (1300, 975)));
        var tensor = new float[geometry.TensorLength];
        Letterbox.ToTensorFromScaled(scaled, geometry, tensor);
        var (max, mean) = Diff(exact, tensor);
        Assert.That(max, Is.LessThan(MaxTolerance));
        Assert.That(mean, Is.LessThan(MeanTolerance));
    }

    // Inside, touching each edge, reaching outside the image, and a thin sliver.
    private static readonly (int Left, int Top, int Width, int Height)[] Regions =
    [
        (1000, 700, 300, 240),
        (0, 0, 257, 129),
        (2400, 1800, 300, 300),
        (-40, 1000, 100, 90),
        (1601, 3, 1, 1900),
    ];

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    [TestCase(7)]
    [TestCase(8)]
    public void Region_CropTensor_IdenticalToFullDecode(int orientation)
    {
        var jpeg = orientation == 1 ? Large.Value : TestImages.WithExifOrientation(Large.Value, orientation);
        using var full = Decoder.Decode(jpeg);
        var expected = new float[ClassifierPreprocessor.TensorLength];
        var actual = new float[ClassifierPreprocessor.TensorLength];

        foreach (var (left, top, width, height) in Regions)
        {
            // The regions are for the landscape image; mirror them onto the portrait one.
            var region = full.Width >= full.Height
                ? new CropRegion(left, top, width, height)
                : new CropRegion(top, left, height, width);
            ClassifierPreprocessor.ToTensor(full, region, expected);

            using var part = Decoder.TryDecodeRegion(jpeg, region.Left, region.Top, region.Width, region.Height, out var offsetX, out var offsetY);

            Assert.That(part, Is.Not.Null, $"{region}");
            ClassifierPreprocessor.ToTensor(part!, region with { Left = region.Left - offsetX, Top = region.Top - offsetY }, actual);
            Assert.That(actual, Is.EqualTo(expected), $"orientation {orientation}, {region}");
        }
    }

    [Test]
    public void Region_OutsideImage_Null()
    {
        using var part = Decoder.TryDecodeRegion(Large.Value, 2600, 0, 10, 10, out _, out _);

        Assert.That(part, Is.Null);
    }
}
