using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// Creates one <see cref="InferenceSession"/> per model, CUDA first and CPU as the fallback.
/// <para>
/// With <see cref="ExecutionProviderPreference.Auto"/>, the first time CUDA cannot be used (typically
/// <c>AppendExecutionProvider_CUDA</c> throwing because <c>libonnxruntime_providers_cuda.so</c> or a CUDA library
/// such as <c>libcublasLt.so.13</c> is missing) the reason is logged once as a warning, remembered in
/// <see cref="FallbackReason"/>, and every later session goes straight to the CPU without trying again.
/// With <see cref="ExecutionProviderPreference.Cuda"/> the same failure is thrown instead.
/// </para>
/// <para>
/// Before asking ONNX Runtime for CUDA, two cheap checks (<see cref="CudaPrecheck"/>) rule it out without a try: an
/// ONNX Runtime build without the CUDA provider (the CPU-only <c>Microsoft.ML.OnnxRuntime</c> package, whose native
/// library lacks the CUDA entry point) and a machine without the NVIDIA driver (<c>libcuda.so.1</c> /
/// <c>nvcuda.dll</c> not loadable). In both cases ONNX Runtime would otherwise print its own coloured error line to
/// stderr, outside the JSON log stream.
/// </para>
/// Thread-safe; meant to be a singleton.
/// </summary>
public sealed class OnnxSessionFactory
{
    private readonly OnnxRuntimeOptions _options;
    private readonly ILogger<OnnxSessionFactory> _logger;
    private readonly Lock _gate = new();
    private string? _cudaFailure;

    public OnnxSessionFactory(OnnxRuntimeOptions options, ILogger<OnnxSessionFactory> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
    }

    /// <summary>Why CUDA is not in use although the preference allowed it; null when CUDA was never tried or worked.</summary>
    public string? FallbackReason
    {
        get { lock (_gate) return _cudaFailure; }
    }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelContractException">ONNX Runtime cannot load the file.</exception>
    public OnnxModelSession Create(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model file '{modelPath}' does not exist.", modelPath);
        return Create(modelPath, options => new InferenceSession(modelPath, options));
    }

    /// <summary>Loads a model held in memory (e.g. the embedded demo bundle); <paramref name="modelName"/> is used in messages.</summary>
    /// <exception cref="ModelContractException">ONNX Runtime cannot load the bytes.</exception>
    public OnnxModelSession Create(byte[] model, string modelName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        return Create(modelName, options => new InferenceSession(model, options));
    }

    private OnnxModelSession Create(string modelName, Func<SessionOptions, InferenceSession> open)
    {
        if (WantsCuda())
        {
            var cuda = TryCreateWithCuda(modelName, open);
            if (cuda is not null) return cuda;
        }

        using var cpuOptions = NewOptions();
        return new OnnxModelSession(Open(modelName, open, cpuOptions), modelName, OnnxModelSession.CpuProvider, FallbackReason);
    }

    private bool WantsCuda()
    {
        if (_options.ExecutionProvider == ExecutionProviderPreference.Cpu) return false;
        lock (_gate) return _cudaFailure is null;
    }

    private OnnxModelSession? TryCreateWithCuda(string modelName, Func<SessionOptions, InferenceSession> open)
    {
        if (CudaPrecheck(OrtEnv.Instance().GetAvailableProviders(), CanLoadNativeLibrary) is { } unavailable)
        {
            RecordCudaFailure(unavailable, null);
            return null;
        }

        // A driver without the CUDA 13 runtime libraries would make ORT print its own error line too.
        var missing = CudaLibraryProbe.MissingLibraries();
        if (missing.Count > 0)
        {
            RecordCudaFailure($"the CUDA libraries {string.Join(", ", missing)} cannot be loaded (no CUDA 13 runtime on this machine)", null);
            return null;
        }

        using var options = NewOptions();
        try
        {
            options.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException)
        {
            RecordCudaFailure($"the CUDA execution provider could not be loaded: {ex.Message}", ex);
            return null;
        }

        try
        {
            return new OnnxModelSession(open(options), modelName, OnnxModelSession.CudaProvider, null);
        }
        catch (OnnxRuntimeException ex)
        {
            // Either the GPU itself failed (driver, memory, cuDNN) or the model is bad. Try the CPU: if that
            // fails too, the model is at fault and the CPU error (a ModelContractException) is the one reported.
            var reason = $"creating the CUDA session for '{modelName}' failed: {ex.Message}";
            ThrowIfCudaRequired(reason, ex);
            using var cpuOptions = NewOptions();
            var session = Open(modelName, open, cpuOptions);
            RecordCudaFailure(reason, ex);
            return new OnnxModelSession(session, modelName, OnnxModelSession.CpuProvider, reason);
        }
    }

    /// <summary>
    /// Why CUDA cannot work here without trying it, or null when it may: <paramref name="availableProviders"/> is
    /// ONNX Runtime's list of providers compiled into the native library; <paramref name="canLoad"/> tells whether a
    /// native library can be loaded by name.
    /// </summary>
    internal static string? CudaPrecheck(IReadOnlyCollection<string> availableProviders, Func<string, bool> canLoad)
    {
        ArgumentNullException.ThrowIfNull(availableProviders);
        ArgumentNullException.ThrowIfNull(canLoad);
        if (!availableProviders.Contains(OnnxModelSession.CudaProvider))
        {
            return "this ONNX Runtime build has no CUDA execution provider (CPU-only Microsoft.ML.OnnxRuntime package)";
        }

        var driver = OperatingSystem.IsWindows() ? "nvcuda.dll" : OperatingSystem.IsLinux() ? "libcuda.so.1" : null;
        if (driver is not null && !canLoad(driver))
        {
            return $"the CUDA execution provider cannot run: no NVIDIA driver ({driver} cannot be loaded)";
        }

        return null;
    }

    private static bool CanLoadNativeLibrary(string name)
    {
        if (!NativeLibrary.TryLoad(name, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    private void ThrowIfCudaRequired(string reason, Exception? ex)
    {
        if (_options.ExecutionProvider == ExecutionProviderPreference.Cuda)
        {
            throw new InvalidOperationException(
                $"{OnnxRuntimeOptions.ProviderEnvironmentVariable}=cuda was requested but {reason}", ex);
        }
    }

    private void RecordCudaFailure(string reason, Exception? ex)
    {
        ThrowIfCudaRequired(reason, ex);
        lock (_gate)
        {
            if (_cudaFailure is not null) return;
            _cudaFailure = reason;
        }

        _logger.LogWarning("ONNX Runtime falls back to the CPU execution provider: {Reason}", reason);
    }

    private SessionOptions NewOptions()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = _options.OptimizationLevel,
            IntraOpNumThreads = _options.EffectiveIntraOpThreads,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", _options.AllowSpinning ? "1" : "0");
        return options;
    }

    private static InferenceSession Open(string modelName, Func<SessionOptions, InferenceSession> open, SessionOptions options)
    {
        try
        {
            return open(options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelContractException(modelName, $"ONNX Runtime cannot load it: {ex.Message}", ex);
        }
    }
}
