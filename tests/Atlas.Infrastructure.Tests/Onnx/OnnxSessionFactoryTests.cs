using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Tests.Onnx;

[TestFixture]
public sealed class OnnxSessionFactoryTests
{
    private static readonly byte[] Detector = DemoDetectorModel.Build();

    private static bool CudaLoads()
    {
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        try
        {
            options.AppendExecutionProvider_CUDA(0);
            return true;
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return false;
        }
    }

    [Test]
    public void Create_AutoWithoutCuda_FallsBackToCpuAndLogsOnce()
    {
        Assume.That(CudaLoads(), Is.False, "CUDA loads on this machine; the fallback path is not reachable here.");
        var logger = new ListLogger<OnnxSessionFactory>();
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions(), logger);

        using var first = factory.Create(Detector, "detector.onnx");
        using var second = factory.Create(Detector, "detector-2.onnx");

        Assert.Multiple(() =>
        {
            Assert.That(first.ExecutionProvider, Is.EqualTo(OnnxModelSession.CpuProvider));
            Assert.That(second.ExecutionProvider, Is.EqualTo(OnnxModelSession.CpuProvider));
            Assert.That(factory.FallbackReason, Does.Contain("CUDA"));
            Assert.That(first.FallbackReason, Is.EqualTo(factory.FallbackReason));
            Assert.That(second.FallbackReason, Is.EqualTo(factory.FallbackReason));
            Assert.That(logger.Entries.Count(e => e.Level == LogLevel.Warning), Is.EqualTo(1));
        });
    }

    [Test]
    public void Create_AutoWithCuda_UsesCuda()
    {
        Assume.That(CudaLoads(), Is.True, "CUDA does not load on this machine.");
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions(), new ListLogger<OnnxSessionFactory>());

        using var session = factory.Create(Detector, "detector.onnx");

        Assert.That(session.ExecutionProvider, Is.EqualTo(OnnxModelSession.CudaProvider));
        Assert.That(factory.FallbackReason, Is.Null);
    }

    [Test]
    public void Create_CudaRequiredButUnavailable_Throws()
    {
        Assume.That(CudaLoads(), Is.False, "CUDA loads on this machine.");
        var factory = new OnnxSessionFactory(
            new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cuda }, new ListLogger<OnnxSessionFactory>());

        var ex = Assert.Throws<InvalidOperationException>(() => factory.Create(Detector, "detector.onnx"));
        Assert.That(ex!.Message, Does.Contain(OnnxRuntimeOptions.ProviderEnvironmentVariable + "=cuda"));
    }

    [Test]
    public void CudaPrecheck_BuildWithoutCudaProvider_NamesTheCpuPackage()
    {
        var reason = OnnxSessionFactory.CudaPrecheck([OnnxModelSession.CpuProvider], _ => true);

        Assert.That(reason, Does.Contain("no CUDA execution provider").And.Contain("Microsoft.ML.OnnxRuntime"));
    }

    [Test]
    public void CudaPrecheck_NoDriver_NamesTheDriverLibrary()
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsWindows(), "driver check is for Linux and Windows");
        var asked = new List<string>();

        var reason = OnnxSessionFactory.CudaPrecheck(
            ["TensorrtExecutionProvider", OnnxModelSession.CudaProvider, OnnxModelSession.CpuProvider],
            name => { asked.Add(name); return false; });

        var driver = OperatingSystem.IsLinux() ? "libcuda.so.1" : "nvcuda.dll";
        Assert.Multiple(() =>
        {
            Assert.That(asked, Is.EqualTo(new[] { driver }));
            Assert.That(reason, Does.Contain("no NVIDIA driver").And.Contain(driver));
        });
    }

    [Test]
    public void CudaPrecheck_ProviderAndDriverPresent_LetsOnnxRuntimeTry()
    {
        var reason = OnnxSessionFactory.CudaPrecheck([OnnxModelSession.CudaProvider, OnnxModelSession.CpuProvider], _ => true);

        Assert.That(reason, Is.Null);
    }

    [Test]
    public void CudaPrecheck_ThisBuild_ListsTheCudaProvider()
    {
        // The default build references Microsoft.ML.OnnxRuntime.Gpu, whose native library includes CUDA even
        // where no GPU is present; a CPU-package build (-p:AtlasOnnxRuntime=cpu) does not.
        var providers = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders();

        Assert.That(providers, Does.Contain(OnnxModelSession.CudaProvider).And.Contain(OnnxModelSession.CpuProvider));
    }

    [Test]
    public void Create_CpuPreference_NeverTriesCuda()
    {
        var logger = new ListLogger<OnnxSessionFactory>();
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, logger);

        using var session = factory.Create(Detector, "detector.onnx");

        Assert.Multiple(() =>
        {
            Assert.That(session.ExecutionProvider, Is.EqualTo(OnnxModelSession.CpuProvider));
            Assert.That(session.FallbackReason, Is.Null);
            Assert.That(factory.FallbackReason, Is.Null);
            Assert.That(logger.Entries, Is.Empty);
        });
    }

    [Test]
    public void Create_GarbageBytes_ThrowsContractExceptionNamingModel()
    {
        var factory = OnnxTestHelpers.CpuFactory();

        var ex = Assert.Throws<ModelContractException>(() => factory.Create([1, 2, 3, 4], "broken.onnx"));

        Assert.That(ex!.Message, Does.StartWith("Model 'broken.onnx': ONNX Runtime cannot load it"));
    }

    [Test]
    public void Create_MissingFile_ThrowsFileNotFound()
    {
        var factory = OnnxTestHelpers.CpuFactory();
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".onnx");

        var ex = Assert.Throws<FileNotFoundException>(() => factory.Create(path));

        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void Create_FromFile_UsesPathAsModelName()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".onnx");
        File.WriteAllBytes(path, Detector);
        try
        {
            using var session = OnnxTestHelpers.CpuFactory().Create(path);
            Assert.That(session.ModelName, Is.EqualTo(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("auto", ExecutionProviderPreference.Auto)]
    [TestCase(" CUDA ", ExecutionProviderPreference.Cuda)]
    [TestCase("gpu", ExecutionProviderPreference.Cuda)]
    [TestCase("Cpu", ExecutionProviderPreference.Cpu)]
    public void ParseProvider_KnownValue_Parses(string value, ExecutionProviderPreference expected) =>
        Assert.That(OnnxRuntimeOptions.ParseProvider(value), Is.EqualTo(expected));

    [Test]
    public void ParseProvider_UnknownValue_ThrowsNamingVariable()
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxRuntimeOptions.ParseProvider("tpu"));
        Assert.That(ex!.Message, Does.Contain("ATLAS_EXECUTION_PROVIDER"));
    }

    [Test]
    public void WithEnvironment_VariableSet_OverridesProvider()
    {
        var options = new OnnxRuntimeOptions().WithEnvironment(name => name == "ATLAS_EXECUTION_PROVIDER" ? "cpu" : null);
        Assert.That(options.ExecutionProvider, Is.EqualTo(ExecutionProviderPreference.Cpu));
    }

    [Test]
    public void WithEnvironment_VariableUnset_KeepsConfiguredProvider()
    {
        var options = new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cuda }.WithEnvironment(_ => null);
        Assert.That(options.ExecutionProvider, Is.EqualTo(ExecutionProviderPreference.Cuda));
    }

    [Test]
    public void EffectiveIntraOpThreads_Unset_UsesAllCores() =>
        Assert.That(new OnnxRuntimeOptions().EffectiveIntraOpThreads, Is.EqualTo(Environment.ProcessorCount));

    [Test]
    public void AllowSpinning_Default_IsOff()
    {
        Assert.That(new OnnxRuntimeOptions().AllowSpinning, Is.False);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Create_EitherSpinningSetting_LoadsAndRuns(bool allowSpinning)
    {
        var factory = new OnnxSessionFactory(
            new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, AllowSpinning = allowSpinning, IntraOpThreads = 2 },
            new ListLogger<OnnxSessionFactory>());

        using var detector = new DetectorRunner(factory.Create(Detector, "detector.onnx"));
        using var output = detector.Run(new float[3 * 128 * 192], 128, 192);

        Assert.That(output.Rows, Is.EqualTo(2 * 3));
    }
}
