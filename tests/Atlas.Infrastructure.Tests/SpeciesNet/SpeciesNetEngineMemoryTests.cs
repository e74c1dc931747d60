using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

[TestFixture]
public sealed class SpeciesNetEngineMemoryTests
{
    private static SpeciesNetEngine CreateEngine(ModelBundle bundle) =>
        new(bundle, new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, NullLogger<OnnxSessionFactory>.Instance),
            new ImageDecoder(), geofence: true, new NoInferenceMetrics(), NullLogger.Instance);

    [Test]
    public void Constructor_SessionsCreated_BundleNoLongerHoldsModelBytes()
    {
        var loaded = ModelBundle.LoadFiles(DemoBundle.CreateFiles(), "demo", isDemo: true);
        Assume.That(loaded.Detector, Is.Not.Empty);

        using var engine = CreateEngine(loaded);

        Assert.Multiple(() =>
        {
            Assert.That(engine.Bundle.Detector, Is.Empty);
            Assert.That(engine.Bundle.Classifier, Is.Empty);
            Assert.That(engine.Bundle.Version, Is.EqualTo(loaded.Version));
            Assert.That(engine.Bundle.Labels, Is.SameAs(loaded.Labels));
            Assert.That(engine.Bundle.DetectorName, Is.EqualTo(loaded.DetectorName));
        });
    }

    [Test]
    public void WarmUp_AfterModelBytesDropped_SessionsStillRun()
    {
        using var engine = CreateEngine(ModelBundle.LoadFiles(DemoBundle.CreateFiles(), "demo", isDemo: true));

        Assert.That(engine.WarmUp, Throws.Nothing);
    }
}

[TestFixture]
public sealed class SpeciesNetEngineLifetimeTests
{
    private static SpeciesNetEngine Demo() => new(
        ModelBundle.LoadFiles(DemoBundle.CreateFiles(), "demo", isDemo: true), Atlas.Infrastructure.Tests.Onnx.OnnxTestHelpers.CpuFactory(), new ImageDecoder(),
        true, new NoInferenceMetrics(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    private static byte[] Png()
    {
        using var bitmap = new SkiaSharp.SKBitmap(1024, 768);
        bitmap.Erase(SkiaSharp.SKColors.Red);
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        return image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray();
    }

    [Test]
    public void Predict_AfterDispose_ThrowsObjectDisposed()
    {
        var engine = Demo();
        engine.Dispose();
        engine.Dispose();

        Assert.Throws<ObjectDisposedException>(() => engine.Predict(Png(), Atlas.Domain.SpeciesNet.GeoLocation.None, CancellationToken.None));
    }

    [Test]
    public async Task Dispose_WhilePredictionsRun_LetsThemFinish()
    {
        var engine = Demo();
        var png = Png();
        using var started = new CountdownEvent(4);
        var runs = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            started.Signal();
            return engine.Predict(png, Atlas.Domain.SpeciesNet.GeoLocation.None, CancellationToken.None);
        })).ToArray();
        started.Wait();

        engine.Dispose();

        // Every run either finished with a real answer or was refused before touching the sessions; none crashed the process.
        foreach (var run in runs)
        {
            try
            {
                var prediction = await run;
                Assert.That(prediction.Prediction, Is.Not.Null);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
