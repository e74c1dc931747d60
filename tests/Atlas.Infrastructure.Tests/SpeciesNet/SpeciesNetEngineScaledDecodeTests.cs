using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Atlas.Infrastructure.Tests.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary><see cref="SpeciesNetEngine.ScaledDecode"/> end to end on the demo bundle, against the exact engine.</summary>
[TestFixture]
public sealed class SpeciesNetEngineScaledDecodeTests
{
    private static readonly GeoLocation NoLocation = new(null, null, null, null);

    private static ImageAnalysis Analyze(byte[] picture, bool scaled)
    {
        using var bundle = TestBundle.FromDemo();
        using var engine = new SpeciesNetEngine(ModelBundle.LoadDirectory(bundle.Directory), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance)
        {
            ScaledDecode = scaled,
        };
        return engine.Analyze(picture, NoLocation, AnalysisOptions.Default, CancellationToken.None);
    }

    [TestCase(1)]
    [TestCase(6)]
    public void ScaledDecode_LargeJpeg_SameAnswerAsExact(int orientation)
    {
        var jpeg = TestImages.WithRect(2600, 1950, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(600, 500, 1400, 1200), SKEncodedImageFormat.Jpeg);
        if (orientation != 1) jpeg = TestImages.WithExifOrientation(jpeg, orientation);

        var exact = Analyze(jpeg, scaled: false);
        var scaled = Analyze(jpeg, scaled: true);

        Assert.That((scaled.Width, scaled.Height), Is.EqualTo((exact.Width, exact.Height)));
        Assert.That(exact.Prediction.Detections, Is.Not.Empty);
        Assert.That(scaled.Prediction.Detections!.Select(d => d.Label), Is.EqualTo(exact.Prediction.Detections!.Select(d => d.Label)));
        for (var i = 0; i < exact.Prediction.Detections!.Count; i++)
        {
            Assert.That(scaled.Prediction.Detections![i].Bbox, Is.EqualTo(exact.Prediction.Detections[i].Bbox).Within(0.01));
        }
        Assert.That(scaled.Prediction.Prediction, Is.EqualTo(exact.Prediction.Prediction));
        Assert.That(scaled.Prediction.PredictionScore, Is.EqualTo(exact.Prediction.PredictionScore).Within(0.02));
    }

    [Test]
    public void ScaledDecode_SmallJpeg_BitIdenticalToExact()
    {
        var jpeg = TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(256, 224, 384, 352), SKEncodedImageFormat.Jpeg);

        var exact = Analyze(jpeg, scaled: false);
        var scaled = Analyze(jpeg, scaled: true);

        Assert.That(System.Text.Json.JsonSerializer.Serialize(scaled), Is.EqualTo(System.Text.Json.JsonSerializer.Serialize(exact)));
    }
}
