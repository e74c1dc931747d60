using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Imaging;

namespace Atlas.Infrastructure.Tests.Classification;

[TestFixture]
public sealed class ClassifierPreprocessorTests
{
    private const int Size = ClassifierPreprocessor.InputSize;

    /// <summary>SpeciesNet's classifier_test.py fixture: 100 wide, red rows 0-149, green 150-849, blue 850-999.</summary>
    private static RgbImage RedGreenBlue(int red, int green, int blue) =>
        TestImages.Rgb(100, red + green + blue, (_, y) =>
            y < red ? ((byte)255, (byte)0, (byte)0) : y < red + green ? ((byte)0, (byte)255, (byte)0) : ((byte)0, (byte)0, (byte)255));

    private static float[] Run(RgbImage image, CropRegion region)
    {
        var tensor = new float[ClassifierPreprocessor.TensorLength];
        ClassifierPreprocessor.ToTensor(image, region, tensor);
        return tensor;
    }

    private static (float R, float G, float B) At(float[] tensor, int x, int y)
    {
        var i = ((y * Size) + x) * 3;
        return (tensor[i], tensor[i + 1], tensor[i + 2]);
    }

    private static void AssertAllPixels(float[] tensor, (float R, float G, float B) expected)
    {
        for (var i = 0; i < tensor.Length; i += 3)
        {
            if ((tensor[i], tensor[i + 1], tensor[i + 2]) != expected) Assert.Fail($"pixel {i / 3} is ({tensor[i]},{tensor[i + 1]},{tensor[i + 2]})");
        }
    }

    [Test]
    public void ToTensor_GreenBandBbox_PureGreen480()
    {
        using var image = RedGreenBlue(150, 700, 150);
        var region = ClassifierPreprocessor.CropForDetection(100, 1000, [0 / 100.0, 150 / 1000.0, 100 / 100.0, 700 / 1000.0]);

        Assert.That(region, Is.EqualTo(new CropRegion(0, 150, 100, 700)));
        AssertAllPixels(Run(image, region), (0f, 1f, 0f));
    }

    [Test]
    public void ToTensor_SmallGreenBbox_PureGreen480()
    {
        using var image = RedGreenBlue(150, 700, 150);
        var region = ClassifierPreprocessor.CropForDetection(100, 1000, [10 / 100.0, 150 / 1000.0, 40 / 100.0, 100 / 1000.0]);

        Assert.That(region, Is.EqualTo(new CropRegion(10, 150, 40, 100)));
        AssertAllPixels(Run(image, region), (0f, 1f, 0f));
    }

    [Test]
    public void CropForDetection_NoDetection_WholeImage()
    {
        Assert.That(ClassifierPreprocessor.CropForDetection(2048, 1536, null), Is.EqualTo(new CropRegion(0, 0, 2048, 1536)));
    }

    [Test]
    public void CropForDetection_GoldenFloat32Bbox_TruncatesLikePython()
    {
        // ymin 0.4218750223517418 x 1536 = 648.0000343 -> 648; height 0.1673177033662796 x 1536 = 256.99999 -> 256.
        var region = ClassifierPreprocessor.CropForDetection(2048, 1536, [0.564453125, 0.4218750223517418, 0.0849609375, 0.1673177033662796]);

        Assert.That(region, Is.EqualTo(new CropRegion(1156, 648, 174, 256)));
    }

    [Test]
    public void ToTensor_BoxBeyondImage_ZeroPadded()
    {
        using var image = TestImages.RgbSolid(10, 10, 255, 255, 255);
        var region = ClassifierPreprocessor.CropForDetection(10, 10, [0.5, 0.5, 1.0, 1.0]);

        var tensor = Run(image, region);

        Assert.That(region, Is.EqualTo(new CropRegion(5, 5, 10, 10)));
        Assert.That(At(tensor, 100, 100), Is.EqualTo((1f, 1f, 1f)));
        Assert.That(At(tensor, 400, 400), Is.EqualTo((0f, 0f, 0f)));
        Assert.That(At(tensor, 100, 400), Is.EqualTo((0f, 0f, 0f)));
        Assert.That(At(tensor, 400, 100), Is.EqualTo((0f, 0f, 0f)));
    }

    [Test]
    public void ToTensor_NegativeOffset_ZeroPaddedBeforeImage()
    {
        using var image = TestImages.RgbSolid(10, 10, 255, 0, 0);

        var tensor = Run(image, new CropRegion(-10, 0, 20, 10));

        Assert.That(At(tensor, 10, 240), Is.EqualTo((0f, 0f, 0f)));
        Assert.That(At(tensor, 470, 240), Is.EqualTo((1f, 0f, 0f)));
    }

    [Test]
    public void ToTensor_TwoPixelRamp_HalfPixelCentresAndTruncation()
    {
        // Source row [0, 255]; scale = 2/480; src(x) = scale * (x + 0.5) - 0.5, clamped at 0; value = src (lambda)
        // for 0 <= src <= 1; then trunc(value * 255.999):
        //   x=120: src 0.0020833 -> 0.53 -> 0;   x=130: 0.04375 -> 11.2 -> 11;  x=240: 0.5020833 -> 128.5 -> 128
        //   x=300: 0.7520833 -> 192.5 -> 192 (align_corners=true would give 160; rounding would give 193)
        //   x=359: 0.9979167 -> 255.47 -> 255;   x=0: clamped -> 0;             x=479: right edge -> 255
        using var image = TestImages.Rgb(2, 1, (x, _) => (x == 0 ? (byte)0 : (byte)255, 0, 0));

        var tensor = Run(image, new CropRegion(0, 0, 2, 1));

        int[] xs = [0, 120, 130, 240, 300, 359, 479];
        int[] expected = [0, 0, 11, 128, 192, 255, 255];
        for (var y = 0; y < Size; y += 479)
        {
            var actual = xs.Select(x => (int)Math.Round(At(tensor, x, y).R * 255)).ToArray();
            Assert.That(actual, Is.EqualTo(expected), $"row {y}");
        }
    }

    [Test]
    public void ToTensor_VerticalRamp_SameWeightsAsHorizontal()
    {
        using var image = TestImages.Rgb(1, 2, (_, y) => (0, y == 0 ? (byte)0 : (byte)255, 0));

        var tensor = Run(image, new CropRegion(0, 0, 1, 2));

        Assert.That((int)Math.Round(At(tensor, 17, 300).G * 255), Is.EqualTo(192));
        Assert.That((int)Math.Round(At(tensor, 17, 130).G * 255), Is.EqualTo(11));
    }

    [Test]
    public void ToTensor_OutputValues_AreByteOver255()
    {
        using var image = TestImages.RgbSolid(480, 480, 1, 128, 254);

        var tensor = Run(image, new CropRegion(0, 0, 480, 480));

        // Same size: a copy, then trunc(v/255 * 255.999) gives the byte back.
        AssertAllPixels(tensor, ((float)(1 / 255.0), (float)(128 / 255.0), (float)(254 / 255.0)));
    }

    [Test]
    public void ToTensor_BatchSlot_WritesOnlyItsSlot()
    {
        using var image = TestImages.RgbSolid(8, 8, 255, 255, 255);
        var batch = new float[ClassifierPreprocessor.TensorLength * 2];

        ClassifierPreprocessor.ToTensor(image, new CropRegion(0, 0, 8, 8), batch.AsSpan(ClassifierPreprocessor.TensorLength));

        Assert.That(batch.AsSpan(0, ClassifierPreprocessor.TensorLength).ContainsAnyExcept(0f), Is.False);
        Assert.That(batch[^1], Is.EqualTo(1f));
    }

    [Test]
    public void ToTensor_SubPixelBox_EmptyCropException()
    {
        using var image = TestImages.RgbSolid(2048, 1536, 1, 2, 3);
        var region = ClassifierPreprocessor.CropForDetection(2048, 1536, [0.5, 0.5, 0.0004, 0.1]);

        Assert.That(region.Width, Is.Zero);
        Assert.Throws<EmptyCropException>(() => Run(image, region));
    }

    [TestCase(1536, 200, 1136)]
    [TestCase(1000, 150, 700)]
    [TestCase(2400, 200, 2000)]
    [TestCase(100, 15, 70)]
    public void CropForFullImage_CentreCropsHeight(int height, int top, int targetHeight)
    {
        Assert.That(ClassifierPreprocessor.CropForFullImage(2048, height), Is.EqualTo(new CropRegion(0, top, 2048, targetHeight)));
    }

    [Test]
    public void ToTensor_FullImageOfTallStack_PureGreen()
    {
        using var image = RedGreenBlue(200, 2000, 200);

        AssertAllPixels(Run(image, ClassifierPreprocessor.CropForFullImage(100, 2400)), (0f, 1f, 0f));
    }

    [Test]
    public void ToTensor_DestinationTooSmall_Throws()
    {
        using var image = TestImages.RgbSolid(8, 8, 0, 0, 0);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ClassifierPreprocessor.ToTensor(image, new CropRegion(0, 0, 8, 8), new float[ClassifierPreprocessor.TensorLength - 1]));
    }
}
