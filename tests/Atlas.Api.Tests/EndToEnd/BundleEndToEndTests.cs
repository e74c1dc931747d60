using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.Errors;
using Atlas.Infrastructure.Models.Demo;
using SkiaSharp;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// Bundles from disk (SpeciesNet:ModelDir) through HTTP: a broken bundle stops the service at start with a
/// message naming the file; an unseen export (fixed-size detector, other tensor names, batch-1 classifier) and a
/// full_image bundle serve the expected answers.
/// </summary>
[TestFixture]
public sealed class BundleEndToEndTests
{
    /// <summary>Grey 1280x960, one 128x128 red block in the top rows: the centre crop of full_image never sees it.</summary>
    private static byte[] RedBlockNearTop() =>
        TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(576, 0, 704, 128));

    private static Exception StartFailure(Action<Dictionary<string, byte[]?>> edit)
    {
        using var bundle = TestBundle.FromDemo(edit);
        using var factory = new AtlasApiFactory(EngineHarness.Settings(bundle.Directory), mockClassifier: false);
        var ex = Assert.Catch(() => factory.CreateHttpClient().Dispose());
        return ex!;
    }

    private static string MessageChain(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException) messages.Add(e.Message);
        if (ex is AggregateException aggregate) messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
        return string.Join(" | ", messages);
    }

    [Test]
    public void Start_ClassifierFileMissing_HostFailsNamingFile()
    {
        var ex = StartFailure(files => files[DemoBundle.ClassifierFile] = null);

        Assert.That(ex, Is.InstanceOf<ModelBundleException>().Or.InnerException.InstanceOf<ModelBundleException>());
        Assert.That(MessageChain(ex), Does.Contain("'classifier.onnx'").And.Contain("missing"));
    }

    [Test]
    public void Start_DetectorIsUrl_HostFailsSayingSo()
    {
        var ex = StartFailure(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(detector: "https://example.org/md_v5a.0.0.pt"));

        Assert.That(MessageChain(ex), Does.Contain("'detector' is a URL"));
    }

    [Test]
    public void Start_NchwClassifier_HostFailsNamingModel()
    {
        var ex = StartFailure(files => files[DemoBundle.ClassifierFile] = TestModels.NchwClassifier(DemoLabels.Classifier.Count));

        Assert.That(MessageChain(ex), Does.Contain("classifier.onnx").And.Contain("looks NCHW"));
    }

    [Test]
    public async Task UploadFile_UnseenExportShapes_ServesDemoAnswers()
    {
        using var bundle = TestBundle.FromDemo(files =>
        {
            files[DemoBundle.InfoFile] = TestBundle.InfoJson(version: "unseen-export-1");
            files[DemoBundle.DetectorFile] = TestModels.Rename(TestModels.Rename(TestModels.FixedSizeDetector(1280, 1280), "images", "x"), "output", "y");
            files[DemoBundle.ClassifierFile] = TestModels.Rename(TestModels.Rename(TestModels.WithOutputShape(
                TestModels.WithInputShape(DemoClassifierModel.Build(), 1, 480, 480, 3), 1, DemoLabels.Classifier.Count), "crops", "input"), "logits", "output");
        });
        var (factory, client) = await EngineHarness.StartAsync(bundle.Directory);
        await using var _ = factory;
        using var __ = client;

        var s = await EngineHarness.PredictAsync(client, RedBlockNearTop());

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Lion));
        Assert.That(s.GetProperty("model_version").GetString(), Is.EqualTo("unseen-export-1"));
        Assert.That(s.GetProperty("detections").GetArrayLength(), Is.GreaterThan(0));
    }

    [Test]
    public async Task UploadFile_FullImageBundle_ClassifiesCentreCrop()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(type: "full_image"));
        var (factory, client) = await EngineHarness.StartAsync(bundle.Directory);
        await using var _ = factory;
        using var __ = client;

        var s = await EngineHarness.PredictAsync(client, RedBlockNearTop());

        // always_crop would classify the red detection (lion 0.9, see the colour table); full_image drops the top
        // 144 rows and sees grey: blank 0.9997 beats the animal box (R3, blank > 0.99).
        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Blank));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.EqualTo(0.9997).Within(1e-4));
        Assert.That(s.GetProperty("detections")[0].GetProperty("label").GetString(), Is.EqualTo("animal"));
    }
}
