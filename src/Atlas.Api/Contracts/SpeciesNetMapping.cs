using Atlas.Application.Predictions.ClassifyImage;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Api.Contracts;

/// <summary>Maps the SpeciesNet domain result onto the seed's JSON contract.</summary>
internal static class SpeciesNetMapping
{
    public static UploadFileResponse ToResponse(this ClassifyImageResult result) =>
        new(result.FileName, result.ContentSize, result.SpeciesNet.ToResponse());

    public static SpeciesNetResponse ToResponse(this SpeciesNetPrediction p)
    {
        var topClasses = p.Classifications is null
            ? []
            : p.Classifications.Classes.Select((label, i) => new TopClassResponse(label, LabelDisplay.For(label), p.Classifications.Scores[i])).ToArray();
        var detections = p.Detections?.Select(d => new DetectionResponse(d.Category, d.Label, d.Conf, d.Bbox)).ToArray() ?? [];
        return new SpeciesNetResponse(
            p.Prediction,
            p.Prediction is null ? null : LabelDisplay.For(p.Prediction),
            p.PredictionScore,
            p.PredictionSource,
            topClasses,
            detections,
            p.Classifications is null ? null : new ClassificationsResponse(p.Classifications.Classes, p.Classifications.Scores),
            p.Failures,
            p.Location.Country,
            p.Location.Admin1Region,
            p.Location.Latitude,
            p.Location.Longitude,
            p.ModelVersion);
    }
}
