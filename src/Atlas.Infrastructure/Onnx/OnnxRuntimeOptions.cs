using System.ComponentModel.DataAnnotations;
using Atlas.Application.Configuration;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>Which ONNX Runtime execution provider the sessions should use.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>Try CUDA; when it cannot be loaded, log why once and run on the CPU.</summary>
    Auto,

    /// <summary>CUDA is required: a failure to use it is an error instead of a silent CPU fallback.</summary>
    Cuda,

    /// <summary>CPU only; CUDA is never attempted.</summary>
    Cpu,
}

/// <summary>
/// How <see cref="OnnxSessionFactory"/> builds sessions. Bound from configuration section
/// <see cref="SectionName"/>; the provider can also be forced with the environment variable
/// <see cref="ProviderEnvironmentVariable"/> (<c>auto</c>|<c>cuda</c>|<c>cpu</c>), see <see cref="WithEnvironment"/>.
/// </summary>
public sealed class OnnxRuntimeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Onnx";

    /// <summary>Environment variable that overrides <see cref="ExecutionProvider"/>.</summary>
    public const string ProviderEnvironmentVariable = "ATLAS_EXECUTION_PROVIDER";

    /// <summary>Execution provider choice; <see cref="ExecutionProviderPreference.Auto"/> by default.</summary>
    [Spelling("gpu", "cuda")]
    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    /// <summary>CUDA device ordinal.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>Intra-op threads per session; 0 or less means all cores (<see cref="Environment.ProcessorCount"/>).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Let ONNX Runtime's intra-op pool threads busy-wait for work after each parallel section (ORT's own default
    /// is true). Off by default here: the engine runs two sessions per image with decoding and resizing in
    /// between, and on a small CPU the spinning threads take the cores that work needs (BENCHMARKS.md, 2 cores:
    /// 93 vs 48 ms CPU per image on the demo bundle; on an overloaded VM also slower EfficientNetV2-M runs).
    /// Config <c>Onnx:AllowSpinning</c>; turn it on only on a dedicated many-core machine where the last
    /// millisecond of model latency matters more than CPU.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>Graph optimisation level; everything (constant folding, fusions, layout) by default.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>The thread count actually used.</summary>
    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount;

    /// <summary>
    /// Returns these options with <see cref="ExecutionProvider"/> replaced by the value of
    /// <see cref="ProviderEnvironmentVariable"/> when it is set (the value read by <paramref name="getEnvironment"/>,
    /// <see cref="Environment.GetEnvironmentVariable(string)"/> by default).
    /// </summary>
    /// <exception cref="ArgumentException">The variable holds something other than auto, cuda or cpu.</exception>
    public OnnxRuntimeOptions WithEnvironment(Func<string, string?>? getEnvironment = null)
    {
        var value = (getEnvironment ?? Environment.GetEnvironmentVariable)(ProviderEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value)) return this;
        ExecutionProvider = ParseProvider(value);
        return this;
    }

    /// <summary>Parses <c>auto</c>, <c>cuda</c> or <c>cpu</c> (any case, surrounding spaces ignored).</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static ExecutionProviderPreference ParseProvider(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Trim().ToUpperInvariant() switch
        {
            "AUTO" => ExecutionProviderPreference.Auto,
            "CUDA" or "GPU" => ExecutionProviderPreference.Cuda,
            "CPU" => ExecutionProviderPreference.Cpu,
            _ => throw new ArgumentException(
                $"{ProviderEnvironmentVariable} must be one of auto, cuda, cpu; got '{value}'.", nameof(value)),
        };
    }
}
