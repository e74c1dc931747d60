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
