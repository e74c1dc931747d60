using Atlas.Domain.Images;
using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Mediator;

namespace Atlas.Application.Predictions.Batch;

/// <summary>
/// Runs SpeciesNet on one image of a batch. Never fails for the image's sake: an empty, non-image, oversized
/// (<paramref name="Rejection"/>, set by the intake) or undecodable file becomes a result with SpeciesNet's
/// <c>failures</c> entry for the components that could not run, and the reason in <see cref="BatchImageResult.Error"/>.
/// Holds an inference slot only for this image, so a long batch shares the models fairly with other requests.
/// </summary>
/// <param name="Image">The uploaded file.</param>
/// <param name="Requested">The location the client gave for this image (metadata entry merged over the defaults), already normalised.</param>
/// <param name="Options">Components to run and the classify_all_boxes settings.</param>
/// <param name="Rejection">Why the intake refused the file without reading it all (e.g. over the size limit), else null.</param>
public sealed record PredictBatchImageCommand(ImageUpload Image, GeoLocation Requested, AnalysisOptions Options, string? Rejection = null)
    : ICommand<BatchImageResult>, IInferenceRequest;

public sealed class PredictBatchImageHandler(
    ISpeciesClassifier classifier,
    IImageMetadataReader metadataReader,
    ImageLocationResolver locationResolver) : ICommandHandler<PredictBatchImageCommand, BatchImageResult>
{
    public async ValueTask<BatchImageResult> Handle(PredictBatchImageCommand command, CancellationToken cancellationToken)
    {
        var image = command.Image;
        var rejection = command.Rejection ?? Check(image);
        var metadata = rejection is null ? metadataReader.Read(image.Content) : ImageMetadata.None;
        var (location, source) = ResolveLocation(command.Requested, metadata);
        if (rejection is not null)
        {
            return Failed(command, location, source, metadata, rejection);
        }

        try
        {
            var analysis = await classifier.AnalyzeAsync(image.Content, location, command.Options, cancellationToken).ConfigureAwait(false);
            return new BatchImageResult(image.FileName, analysis.Prediction, source, analysis.Width, analysis.Height, metadata, analysis.BoxPredictions, null);
        }
        catch (Exception ex) when (ex is ImageDecodeException or ImageTooLargeException)
        {
            return Failed(command, location, source, metadata, ex.Message);
        }
    }

    /// <summary>The effective location: explicit fields win, EXIF GPS fills the coordinates, country derived offline.</summary>
    private (GeoLocation Location, string Source) ResolveLocation(GeoLocation requested, ImageMetadata metadata)
    {
        var resolved = locationResolver.Resolve(requested, metadata);
        return (resolved.Location, resolved.Source.ToWire());
    }

    /// <summary>Why the file cannot be an image, from its length and magic bytes; null when it may be one.</summary>
    private static string? Check(ImageUpload image)
    {
        if (image.Length == 0) return $"The file '{image.FileName}' is empty.";
        if (image.DetectedFormat == ImageFormat.Unknown)
        {
            return $"The content of '{image.FileName}' is not a JPEG, PNG, WebP, GIF, BMP or TIFF image (its first bytes match none of these formats).";
        }
        return null;
    }

    private BatchImageResult Failed(PredictBatchImageCommand command, GeoLocation location, string source, ImageMetadata metadata, string error)
    {
        // SpeciesNet marks every component that should have run on an image it could not load.
        var failures = command.Options.Mode switch
        {
            ComponentMode.DetectorOnly => new[] { PredictionFailures.Detector },
            ComponentMode.ClassifierOnly => [PredictionFailures.Classifier],
            _ => [PredictionFailures.Classifier, PredictionFailures.Detector],
        };
        var prediction = new SpeciesNetPrediction(failures, location, null, null, null, null, null, classifier.Status.Version);
        return new BatchImageResult(command.Image.FileName, prediction, source, null, null, metadata, null, error);
    }
}
