using System.Text.Json.Serialization;

namespace Atlas.Api.Contracts;

/// <summary>Response of <c>POST /uploadfile/</c>: the seed's shape.</summary>
public sealed record UploadFileResponse(
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("content_size")] long ContentSize,
    [property: JsonPropertyName("speciesnet")] SpeciesNetResponse SpeciesNet);

/// <summary>Response of <c>POST /analyze/</c>: the upload response plus the echoed prompt.</summary>
public sealed record AnalyzeResponse(
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("content_size")] long ContentSize,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("speciesnet")] SpeciesNetResponse SpeciesNet);

/// <summary>
/// SpeciesNet's answer for one image. <c>prediction</c>, <c>prediction_display_name</c>, <c>prediction_score</c>,
/// <c>top_classes</c> and <c>detections</c> are the seed's fields; the rest are what SpeciesNet itself reports.
/// </summary>
public sealed record SpeciesNetResponse(
    [property: JsonPropertyName("prediction")] string? Prediction,
    [property: JsonPropertyName("prediction_display_name")] string? PredictionDisplayName,
    [property: JsonPropertyName("prediction_score")] double? PredictionScore,
    [property: JsonPropertyName("prediction_source")] string? PredictionSource,
    [property: JsonPropertyName("top_classes")] IReadOnlyList<TopClassResponse> TopClasses,
    [property: JsonPropertyName("detections")] IReadOnlyList<DetectionResponse> Detections,
    [property: JsonPropertyName("classifications")] ClassificationsResponse? Classifications,
    [property: JsonPropertyName("failures")] IReadOnlyList<string> Failures,
    [property: JsonPropertyName("country")] string? Country,
    [property: JsonPropertyName("admin1_region")] string? Admin1Region,
    [property: JsonPropertyName("latitude")] double? Latitude,
    [property: JsonPropertyName("longitude")] double? Longitude,
    [property: JsonPropertyName("model_version")] string ModelVersion);

/// <summary>One of the classifier's top 5 classes.</summary>
public sealed record TopClassResponse(
    [property: JsonPropertyName("label_raw")] string LabelRaw,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("score")] double Score);

/// <summary>One detector box: <c>bbox</c> is [xmin, ymin, width, height] normalized to 0..1.</summary>
public sealed record DetectionResponse(
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("conf")] double Conf,
    [property: JsonPropertyName("bbox")] IReadOnlyList<double> Bbox);

/// <summary>The raw classifier top 5, as in SpeciesNet's predictions JSON.</summary>
public sealed record ClassificationsResponse(
    [property: JsonPropertyName("classes")] IReadOnlyList<string> Classes,
    [property: JsonPropertyName("scores")] IReadOnlyList<double> Scores);
