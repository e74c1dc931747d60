namespace Atlas.Domain.SpeciesNet;

/// <summary>One detector box, in SpeciesNet's output form.</summary>
/// <param name="Category">"1" animal, "2" human, "3" vehicle.</param>
/// <param name="Label">"animal", "human" or "vehicle".</param>
/// <param name="Conf">Detector confidence (objectness x class probability).</param>
/// <param name="Bbox">[xmin, ymin, width, height], normalized to 0..1, top-left origin.</param>
public sealed record Detection(string Category, string Label, double Conf, IReadOnlyList<double> Bbox);

/// <summary>The raw classifier top-k (k = 5), highest first. <see cref="Classes"/> are full 7-field label strings.</summary>
public sealed record Classifications(IReadOnlyList<string> Classes, IReadOnlyList<double> Scores);

/// <summary>Which SpeciesNet component failed for an image (spec 5.1).</summary>
public static class PredictionFailures
{
    public const string Classifier = "CLASSIFIER";
    public const string Detector = "DETECTOR";
    public const string Geolocation = "GEOLOCATION";
}

/// <summary>
/// The SpeciesNet ensemble's answer for one image, mirroring one entry of the reference
/// <c>predictions</c> JSON (spec 5.1). <see cref="Prediction"/> and its score/source are null
/// when the detector or the classifier failed.
/// </summary>
public sealed record SpeciesNetPrediction(
    IReadOnlyList<string> Failures,
    GeoLocation Location,
    Classifications? Classifications,
    IReadOnlyList<Detection>? Detections,
    string? Prediction,
    double? PredictionScore,
    string? PredictionSource,
    string ModelVersion);
