namespace Atlas.Domain.Abstractions;

/// <summary>The stages of one SpeciesNet inference, timed separately so a slow stage is visible in production.</summary>
public enum InferenceStage
{
    /// <summary>Image decoding, EXIF orientation and pre-processing.</summary>
    Decode,

    /// <summary>The MegaDetector pass (including box decoding and NMS).</summary>
    Detect,

    /// <summary>Crop, resize and the classifier pass.</summary>
    Classify,

    /// <summary>The ensemble rules, geofencing and roll-up.</summary>
    Ensemble,
}

/// <summary>
/// Where the engine reports how long each stage of an inference took. The API records it on a
/// <c>System.Diagnostics.Metrics</c> histogram (exported as <c>atlas_inference_stage_duration_seconds{stage}</c>); implementations must be cheap and thread-safe.
/// </summary>
public interface IInferenceMetrics
{
    void RecordStage(InferenceStage stage, TimeSpan elapsed);
}
