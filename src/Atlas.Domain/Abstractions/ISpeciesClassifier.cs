using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Abstractions;

/// <summary>
/// Runs the SpeciesNet ensemble (detector, classifier on the top detection's crop, ensemble rules)
/// on one encoded image, or on precomputed model outputs. Implemented in Infrastructure with ONNX Runtime.
/// </summary>
public interface ISpeciesClassifier
{
    /// <summary>The loaded model bundle and the execution provider in use.</summary>
    ModelStatus Status { get; }

    /// <summary>
    /// Decodes <paramref name="image"/> (JPEG, PNG, WebP, GIF, BMP, TIFF…), applies EXIF orientation and
    /// runs the ensemble. Throws <see cref="Errors.ImageDecodeException"/> when the bytes cannot be decoded
    /// and <see cref="Errors.ImageTooLargeException"/> when the header announces more pixels than allowed.
    /// </summary>
    ValueTask<SpeciesNetPrediction> PredictAsync(ReadOnlyMemory<byte> image, GeoLocation location, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="PredictAsync"/>, with the components chosen by <paramref name="options"/> (detector only,
    /// classifier only, full) and optionally a prediction per animal box; also reports the decoded image size.
    /// A failing component is a <c>failures</c> entry; undecodable bytes throw as in <see cref="PredictAsync"/>.
    /// </summary>
    ValueTask<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> image, GeoLocation location, AnalysisOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// SpeciesNet's ensemble-only mode: runs the rules of spec 4 on precomputed model outputs with the bundle's
    /// taxonomy and geofence. A null <paramref name="classifications"/> or <paramref name="detections"/> becomes a
    /// CLASSIFIER or DETECTOR failure (and no prediction), as for an image whose component failed.
    /// </summary>
    SpeciesNetPrediction Combine(Classifications? classifications, IReadOnlyList<Detection>? detections, GeoLocation location);
}
