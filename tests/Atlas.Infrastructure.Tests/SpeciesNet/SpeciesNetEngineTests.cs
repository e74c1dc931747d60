using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Atlas.Infrastructure.Tests.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>
/// The engine on bundles it has never seen: exports that differ from the demo in the ways real conversions do
/// (fixed input size, other tensor names, another row count, fixed batch), and the full_image variant.
/// </summary>
[TestFixture]
public sealed class SpeciesNetEngineTests
{
    private static readonly GeoLocation NoLocation = new(null, null, null, null);

    /// <summary>Grey 1280x960 with a 128x128 red block whose rows are 64-aligned both in the image and after a 160-row top pad.</summary>
    private static byte[] RedBlockPicture() =>
        TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(256, 224, 384, 352));

    private static SpeciesNetPrediction Predict(Action<Dictionary<string, byte[]?>> edit, byte[] image, bool warmUp = true)
    {
        using var bundle = TestBundle.FromDemo(edit);
        using var engine = new SpeciesNetEngine(ModelBundle.LoadDirectory(bundle.Directory), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance);
        if (warmUp) engine.WarmUp();
        return engine.Predict(image, NoLocation, CancellationToken.None);
    }

    private static void AssertLion(SpeciesNetPrediction p)
    {
        Assert.That(p.Failures, Is.Empty);
        Assert.That(p.Prediction, Is.EqualTo(DemoLabels.Lion));
        Assert.That(p.PredictionSource, Is.EqualTo("classifier"));
        Assert.That(p.PredictionScore, Is.EqualTo(0.9).Within(1e-5));
    }

    [Test]
    public void Predict_FixedSizeDetector_LetterboxesToItsCanvasAndMapsBoxesBack()
    {
        var p = Predict(files => files[DemoBundle.DetectorFile] = TestModels.FixedSizeDetector(1280, 1280), RedBlockPicture());

        AssertLion(p);
        // The 1280x960 image sits 160 rows down a 1280x1280 canvas: the block covers cells (rows 6-7, cols 4-5)
        // exactly, four detections of the same conf, each one 64x64 cell mapped back into the image.
        Assert.That(p.Detections, Has.Count.EqualTo(4));
        foreach (var d in p.Detections!)
        {
            Assert.That(d.Conf, Is.EqualTo(DemoColours.Red.Detection!.Confidence).Within(1e-4));
            Assert.That(d.Bbox[2], Is.EqualTo(64.0 / 1280).Within(1e-4));
            Assert.That(d.Bbox[3], Is.EqualTo(64.0 / 960).Within(1e-4));
            Assert.That(d.Bbox[0], Is.InRange(256.0 / 1280 - 1e-4, 320.0 / 1280 + 1e-4));
            Assert.That(d.Bbox[1], Is.InRange(224.0 / 960 - 1e-4, 288.0 / 960 + 1e-4));
        }
    }

    [Test]
    public void Predict_FixedSizeDetectorWithOtherAspect_Works()
    {
        // A 4:3 per-size export given a portrait image: everything is padded into its canvas.
        var portrait = TestImages.OpaqueSolid(480, 640, DemoColours.Red.Rgb());

        var p = Predict(files => files[DemoBundle.DetectorFile] = TestModels.FixedSizeDetector(960, 1280), portrait);

        AssertLion(p);
        Assert.That(p.Detections, Is.Not.Empty);
        Assert.That(p.Detections!.SelectMany(d => d.Bbox), Has.All.InRange(0.0, 1.0));
    }

    [Test]
    public void Predict_DetectorWithExtraRows_SameAnswer()
    {
        var p = Predict(files => files[DemoBundle.DetectorFile] = TestModels.DetectorWithExtraRows(1000), RedBlockPicture());

        AssertLion(p);
        Assert.That(p.Detections, Is.Not.Empty);
    }

    [Test]
    public void Predict_TensorNamesUnlikeTheDemo_ReadFromModel()
    {
        var p = Predict(files =>
        {
            files[DemoBundle.DetectorFile] = TestModels.Rename(TestModels.Rename(DemoDetectorModel.Build(), "images", "input_0"), "output", "detections");
            files[DemoBundle.ClassifierFile] = TestModels.Rename(TestModels.Rename(DemoClassifierModel.Build(), "crops", "input_1"), "logits", "probs");
        }, RedBlockPicture());

        AssertLion(p);
    }

    [Test]
    public void Predict_ClassifierWithFixedBatchOne_Works()
    {
        var p = Predict(files => files[DemoBundle.ClassifierFile] = TestModels.WithOutputShape(
            TestModels.WithInputShape(DemoClassifierModel.Build(), 1, 480, 480, 3), 1, DemoLabels.Classifier.Count), RedBlockPicture());

        AssertLion(p);
    }

    [Test]
    public void Predict_FullImageBundle_ClassifiesTheCentreCropNotTheDetection()
    {
        // The red block sits in the top 144 rows, which full_image's height crop (960 -> 672, offset 144) drops:
        // always_crop sees red (lion), full_image sees grey (blank > 0.99 wins over the animal box).
        var picture = TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(576, 0, 704, 128));

        var crop = Predict(_ => { }, picture);
        var full = Predict(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(type: "full_image"), picture);

        Assert.That(crop.Prediction, Is.EqualTo(DemoLabels.Lion));
        Assert.That(full.Prediction, Is.EqualTo(DemoLabels.Blank));
        Assert.That(full.PredictionSource, Is.EqualTo("classifier"));
        Assert.That(full.PredictionScore, Is.EqualTo(0.9997).Within(1e-5));
        Assert.That(full.Detections, Is.Not.Empty, "the detector still runs on the full image");
        Assert.That(full.Detections![0].Label, Is.EqualTo("animal"));
    }

    [Test]
    public void Predict_ModelVersionIsInfoJsonVersion()
    {
        var p = Predict(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(version: "4.0.2a-test"), RedBlockPicture());

        Assert.That(p.ModelVersion, Is.EqualTo("4.0.2a-test"));
    }

    [Test]
    public void Predict_UndecodableBytes_ThrowsImageDecodeException()
    {
        using var bundle = TestBundle.FromDemo();
        using var engine = new SpeciesNetEngine(ModelBundle.LoadDirectory(bundle.Directory), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance);

        Assert.Throws<ImageDecodeException>(() => engine.Predict([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], NoLocation, CancellationToken.None));
    }

    [Test]
    public async Task Host_BeforeStart_NotReadyAndPredictAsksToRetry()
    {
        using var host = new SpeciesNetHost(Options.Create(new SpeciesNetOptions()), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), new NoInferenceMetrics(), NullLogger<SpeciesNetHost>.Instance);

        Assert.That(host.Status.Ready, Is.False);
        var ex = Assert.ThrowsAsync<ServiceUnavailableException>(async () => await host.PredictAsync(RedBlockPicture(), NoLocation, CancellationToken.None));
        Assert.That(ex!.RetryAfter, Is.Not.Null);

        await host.StartAsync(CancellationToken.None);
        await host.WhenWarm;

        Assert.That(host.Status.Ready, Is.True);
        Assert.That(host.Status.IsDemo, Is.True);
        var p = await host.PredictAsync(RedBlockPicture(), NoLocation, CancellationToken.None);
        Assert.That(p.Prediction, Is.EqualTo(DemoLabels.Lion));
    }

    [Test]
    public async Task Host_WarmUpHeldByGate_StaysNotReadyUntilReleased()
    {
        using var host = new SpeciesNetHost(Options.Create(new SpeciesNetOptions()), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), new NoInferenceMetrics(), NullLogger<SpeciesNetHost>.Instance);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.WarmUpGate = gate.Task;

        await host.StartAsync(CancellationToken.None);

        Assert.That(host.Status.Ready, Is.False);
        Assert.That(host.Status.Detail, Does.Contain("Warming up"));
        Assert.ThrowsAsync<ServiceUnavailableException>(async () => await host.PredictAsync(RedBlockPicture(), NoLocation, CancellationToken.None));
        gate.SetResult();
        await host.WhenWarm;
        Assert.That(host.Status.Ready, Is.True);
    }

    [Test]
    public void Host_BrokenBundle_StartThrowsNamingFile()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.ClassifierFile] = null);
        using var host = new SpeciesNetHost(Options.Create(new SpeciesNetOptions { ModelDir = bundle.Directory }), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), new NoInferenceMetrics(), NullLogger<SpeciesNetHost>.Instance);

        var ex = Assert.ThrowsAsync<ModelBundleException>(() => host.StartAsync(CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain("classifier.onnx"));
    }

    [Test]
    public async Task Host_WarmUpFails_StaysNotReadyWithReason()
    {
        using var host = new SpeciesNetHost(Options.Create(new SpeciesNetOptions()), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), new NoInferenceMetrics(), NullLogger<SpeciesNetHost>.Instance)
        {
            WarmUpGate = Task.FromException(new InvalidOperationException("CUDA device lost")),
        };

        await host.StartAsync(CancellationToken.None);
        await host.WhenWarm;

        Assert.That(host.Status.Ready, Is.False);
        Assert.That(host.Status.Detail, Does.Contain("Warm-up failed").And.Contain("CUDA device lost"));
        Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
            await host.PredictAsync(new byte[] { 0xFF, 0xD8, 0xFF }, GeoLocation.None, CancellationToken.None));
    }

    [Test]
    public void Host_DynamicWidthClassifierDisagreesWithLabels_StopsAtStart()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.ClassifierFile] =
            TestModels.ColourClassifier(20, new Dictionary<int, (float, float, float)>(), dynamicWidth: true));
        using var host = new SpeciesNetHost(Options.Create(new SpeciesNetOptions { ModelDir = bundle.Directory }), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), new NoInferenceMetrics(), NullLogger<SpeciesNetHost>.Instance);

        var ex = Assert.ThrowsAsync<ModelBundleException>(() => host.StartAsync(CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain("classifier.onnx"));
    }

    [Test]
    public void Engine_Predict_ReportsEveryStageToTheMetricsPort()
    {
        var metrics = new Moq.Mock<IInferenceMetrics>();
        using var engine = new SpeciesNetEngine(ModelBundle.LoadFiles(DemoBundle.CreateFiles(), "demo", isDemo: true), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, metrics.Object, NullLogger.Instance);
        var png = SkiaSharp.SKImage.FromBitmap(RedBitmap()).Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray();

        engine.Predict(png, GeoLocation.None, CancellationToken.None);

        foreach (var stage in Enum.GetValues<InferenceStage>())
        {
            metrics.Verify(m => m.RecordStage(stage, Moq.It.IsAny<TimeSpan>()), Moq.Times.Once, stage.ToString());
        }
    }

    private static SkiaSharp.SKBitmap RedBitmap()
    {
        var bitmap = new SkiaSharp.SKBitmap(128, 128);
        bitmap.Erase(SkiaSharp.SKColors.Red);
        return bitmap;
    }
}
