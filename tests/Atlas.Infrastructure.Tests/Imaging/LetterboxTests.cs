using Atlas.Infrastructure.Imaging;

namespace Atlas.Infrastructure.Tests.Imaging;

[TestFixture]
public sealed class LetterboxTests
{
    private const float Grey = 114f / 255f;

    // Spec 2.2 worked examples (SpeciesNet detector_test.py and typical camera sizes).
    [TestCase(500, 700, 914, 1280, 23, 23, 0, 0, 960, 1280)]
    [TestCase(2000, 1111, 1280, 711, 0, 0, 28, 29, 1280, 768)]
    [TestCase(2048, 1536, 1280, 960, 0, 0, 0, 0, 1280, 960)]
    [TestCase(1920, 1080, 1280, 720, 0, 0, 24, 24, 1280, 768)]
    [TestCase(640, 480, 1280, 960, 0, 0, 0, 0, 1280, 960)]
    [TestCase(100, 100, 1280, 1280, 0, 0, 0, 0, 1280, 1280)]
    public void Compute_WorkedExamples_MatchYoloV5(
        int w, int h, int rw, int rh, int left, int right, int top, int bottom, int wp, int hp)
    {
        var g = LetterboxGeometry.Compute(w, h);

        Assert.That((g.ResizedWidth, g.ResizedHeight), Is.EqualTo((rw, rh)));
        Assert.That((g.Left, g.Right, g.Top, g.Bottom), Is.EqualTo((left, right, top, bottom)));
        Assert.That((g.PaddedWidth, g.PaddedHeight), Is.EqualTo((wp, hp)));
        Assert.That(g.TensorLength, Is.EqualTo(3 * wp * hp));
    }

    [Test]
    public void Compute_HalfPixelSize_RoundsHalfToEven()
    {
        // r = 1280/2560 = 0.5: H 5 -> 2.5 -> 2 and H 7 -> 3.5 -> 4 (Python round, half to even).
        Assert.That(LetterboxGeometry.Compute(2560, 5).ResizedHeight, Is.EqualTo(2));
        Assert.That(LetterboxGeometry.Compute(2560, 7).ResizedHeight, Is.EqualTo(4)); // 3.5 -> 4
    }

    [Test]
    public void ToTensor_PortraitImage_23GreyColumnsEachSide()
    {
        using var image = TestImages.RgbSolid(500, 700, 200, 100, 50);
        var g = LetterboxGeometry.Compute(500, 700);
        var tensor = new float[g.TensorLength];

        Letterbox.ToTensor(image, g, tensor);

        var plane = g.PaddedWidth * g.PaddedHeight;
        float[] expected = [200 / 255f, 100 / 255f, 50 / 255f];
        foreach (var y in new[] { 0, 640, 1279 })
        {
            for (var c = 0; c < 3; c++)
            {
                var row = tensor.AsSpan((c * plane) + (y * 960), 960);
                Assert.That(row[..23].ToArray(), Is.All.EqualTo(Grey), $"left pad c={c} y={y}");
                Assert.That(row[937..].ToArray(), Is.All.EqualTo(Grey), $"right pad c={c} y={y}");
                Assert.That(row[23..937].ToArray(), Is.All.EqualTo(expected[c]), $"image c={c} y={y}");
            }
        }
    }

    [Test]
    public void ToTensor_WideImage_28RowsTop29Bottom()
    {
        using var image = TestImages.RgbSolid(2000, 1111, 30, 60, 90);
        var g = LetterboxGeometry.Compute(2000, 1111);
        var tensor = new float[g.TensorLength];

        Letterbox.ToTensor(image, g, tensor);

        var plane = 1280 * 768;
        for (var c = 0; c < 3; c++)
        {
            var ch = tensor.AsSpan(c * plane, plane);
            Assert.That(ch[..(28 * 1280)].ToArray(), Is.All.EqualTo(Grey));
            Assert.That(ch[(739 * 1280)..].ToArray(), Is.All.EqualTo(Grey));
            Assert.That(ch[(28 * 1280)..(739 * 1280)].ToArray(), Is.All.EqualTo((30 + (30 * c)) / 255f), "a constant image must stay constant");
        }
    }

    [Test]
    public void ToTensor_NoResize_NchwLayoutAndScale()
    {
        using var image = TestImages.Rgb(1280, 600, (x, y) => (x, y) == (5, 7) ? ((byte)10, (byte)20, (byte)255) : ((byte)0, (byte)0, (byte)0));
        var g = LetterboxGeometry.Compute(1280, 600);
        var tensor = new float[g.TensorLength];

        Letterbox.ToTensor(image, g, tensor);

        Assert.That((g.Top, g.PaddedHeight), Is.EqualTo((20, 640)));
        var plane = 1280 * 640;
        var at = ((7 + 20) * 1280) + 5;
        Assert.That(tensor[at], Is.EqualTo(10 / 255f));
        Assert.That(tensor[plane + at], Is.EqualTo(20 / 255f));
        Assert.That(tensor[(2 * plane) + at], Is.EqualTo(1f));
        Assert.That(tensor[at + 1], Is.Zero);
        Assert.That(tensor[(19 * 1280) + 5], Is.EqualTo(Grey));
    }

    [Test]
    public void ToTensor_DestinationTooSmall_Throws()
    {
        using var image = TestImages.RgbSolid(64, 64, 1, 1, 1);
        var g = LetterboxGeometry.Compute(64, 64);

        Assert.Throws<ArgumentOutOfRangeException>(() => Letterbox.ToTensor(image, g, new float[g.TensorLength - 1]));
    }

    [Test]
    public void ToTensor_GeometryForOtherImage_Throws()
    {
        using var image = TestImages.RgbSolid(64, 64, 1, 1, 1);
        var g = LetterboxGeometry.Compute(65, 64);

        Assert.Throws<ArgumentException>(() => Letterbox.ToTensor(image, g, new float[g.TensorLength]));
    }
}

[TestFixture]
public sealed class OpenCvLinearResizeTests
{
    [Test]
    public void Resize_2x2To4x4_MatchesOpenCv()
    {
        // Channel 0 = [[10,200],[50,255]], channel 1 = [[0,0],[0,255]], channel 2 = 255.
        byte[] src = [10, 0, 255, 200, 0, 255, 50, 0, 255, 255, 255, 255];
        var dst = new byte[4 * 4 * 3];

        OpenCvLinearResize.Resize(src, 2, 2, dst, 4, 4);

        // cv2.resize(src, (4, 4), interpolation=cv2.INTER_LINEAR), OpenCV 4.6. Hand check of (1,1), channel 0:
        // weights 0.75/0.25 -> 1536/512; rows 117760 and 207360; ((7360*1536)>>16) + ((12960*512)>>16) = 273; (273+2)>>2 = 68.
        int[] c0 = [10, 57, 152, 200, 20, 68, 165, 214, 40, 90, 191, 241, 50, 101, 204, 255];
        int[] c1 = [0, 0, 0, 0, 0, 16, 48, 64, 0, 48, 143, 191, 0, 64, 191, 255];
        Assert.That(Enumerable.Range(0, 16).Select(i => (int)dst[i * 3]), Is.EqualTo(c0));
        Assert.That(Enumerable.Range(0, 16).Select(i => (int)dst[(i * 3) + 1]), Is.EqualTo(c1));
        Assert.That(Enumerable.Range(0, 16).Select(i => (int)dst[(i * 3) + 2]), Is.All.EqualTo(255));
    }

    [Test]
    public void Resize_3To7Upscale_ClampsEdgesLikeOpenCv()
    {
        byte[] src = [0, 0, 0, 100, 0, 0, 255, 0, 0];
        var dst = new byte[7 * 2 * 3];

        OpenCvLinearResize.Resize(src, 3, 1, dst, 7, 2);

        int[] expected = [0, 14, 57, 100, 166, 233, 255];
        Assert.That(Enumerable.Range(0, 7).Select(i => (int)dst[i * 3]), Is.EqualTo(expected));
        Assert.That(Enumerable.Range(7, 7).Select(i => (int)dst[i * 3]), Is.EqualTo(expected));
    }

    [TestCase(37, 53, 1280, 894)]
    [TestCase(2048, 1536, 1280, 960)]
    [TestCase(1280, 960, 640, 480)]
    public void Resize_ConstantImage_StaysConstant(int w, int h, int dw, int dh)
    {
        using var image = TestImages.RgbSolid(w, h, 0, 127, 255);
        var dst = new byte[dw * dh * 3];

        OpenCvLinearResize.Resize(image.Pixels, w, h, dst, dw, dh);

        for (var i = 0; i < dst.Length; i += 3)
        {
            if (dst[i] != 0 || dst[i + 1] != 127 || dst[i + 2] != 255) Assert.Fail($"pixel {i / 3} is ({dst[i]},{dst[i + 1]},{dst[i + 2]})");
        }
    }
}
