using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// One loaded model: the <see cref="InferenceSession"/> plus what is needed to explain it in messages and
/// status reports (the file it came from and the execution provider it actually runs on).
/// Created by <see cref="OnnxSessionFactory"/>; owned and disposed by the runner that wraps it.
/// </summary>
public sealed class OnnxModelSession : IDisposable
{
    /// <summary>Name of the CUDA execution provider as ONNX Runtime spells it.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>Name of the CPU execution provider as ONNX Runtime spells it.</summary>
    public const string CpuProvider = "CPUExecutionProvider";

    internal OnnxModelSession(InferenceSession session, string modelName, string executionProvider, string? fallbackReason)
    {
        Session = session;
        ModelName = modelName;
        ExecutionProvider = executionProvider;
        FallbackReason = fallbackReason;
    }

    /// <summary>The ONNX Runtime session; <c>Run</c> on it is thread-safe.</summary>
    public InferenceSession Session { get; }

    /// <summary>The model file path, or the name given for an in-memory model; used in every error message.</summary>
    public string ModelName { get; }

    /// <summary><see cref="CudaProvider"/> or <see cref="CpuProvider"/>.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was not used although it was wanted; null when there was no fallback.</summary>
    public string? FallbackReason { get; }

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
