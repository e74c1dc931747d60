using System.ComponentModel.DataAnnotations;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>Which SpeciesNet bundle to load and how (configuration section <c>SpeciesNet</c>).</summary>
public sealed class SpeciesNetOptions
{
    public const string SectionName = "SpeciesNet";

    /// <summary>
    /// Folder of a converted SpeciesNet bundle (info.json + ONNX models + labels/taxonomy/geofence). Empty: the
    /// embedded demo bundle, whose predictions are meaningless. Env: <c>SPECIESNET_MODEL_DIR</c>.
    /// </summary>
    public string? ModelDir { get; set; }

    /// <summary>Apply the geofence when a country is given (default true). Env: <c>SPECIESNET_GEOFENCE</c>.</summary>
    public bool Geofence { get; set; } = true;

    /// <summary>Run both models once at start so the first request is not slow and readiness is real (default true).</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>
    /// Micro-batching: the longest a request waits, in milliseconds, for concurrent requests to share one detector
    /// and one classifier run (0 turns batching off). A request alone in the engine never waits. Unset (the
    /// default): 2 ms when the models run on CUDA, off on the CPU provider, where batching measured no gain
    /// (0.72-1.07x throughput on the stand-in models, BENCHMARKS.md). Env: <c>INFERENCE_BATCH_WINDOW_MS</c>.
    /// </summary>
    [Range(0, 1000)]
    public int? BatchWindowMs { get; set; }

    /// <summary>Most images in one batched detector or classifier run (default 8; 1 turns batching off). Env: <c>INFERENCE_MAX_BATCH_SIZE</c>.</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// Scaled JPEG decode for the detector: a JPEG at least twice the letterbox's size is decoded at a libjpeg-turbo
    /// DCT scale for the letterbox, and the classifier crop is decoded at full resolution from just its region
    /// (default false: exact, one full-resolution decode). Env: <c>SCALED_JPEG_DECODE</c>. See BENCHMARKS.md.
    /// </summary>
    public bool ScaledDecode { get; set; }
}
