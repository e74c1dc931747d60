using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Predictions.Batch;

/// <summary>The answer formats of the batch routes.</summary>
public enum OutputFormat
{
    /// <summary>SpeciesNet's predictions JSON (spec 5.1).</summary>
    SpeciesNet,

    /// <summary>MegaDetector batch output format 1.6 (spec 5.2 conversion).</summary>
    MegaDetector,

    /// <summary>One CSV row per image (RFC 4180).</summary>
    Csv,
}

/// <summary>
/// One image's entry in a batch answer: the SpeciesNet prediction (for a rejected or undecodable image only
/// <c>failures</c>, the location and the model version), where its location came from, the decoded size, what its
/// EXIF says, the per-box predictions of <c>classify_all_boxes</c>, and for a failed image why.
/// </summary>
public sealed record BatchImageResult(
    string FilePath,
    SpeciesNetPrediction Prediction,
    string LocationSource,
    int? Width,
    int? Height,
    ImageMetadata Metadata,
    IReadOnlyList<BoxPrediction>? BoxPredictions,
    string? Error);
