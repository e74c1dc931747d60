using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Abstractions;

/// <summary>
/// Runs the SpeciesNet ensemble (detector, classifier on the top detection's crop, ensemble rules)
/// on one encoded image. Implemented in Infrastructure with ONNX Runtime.
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
}
