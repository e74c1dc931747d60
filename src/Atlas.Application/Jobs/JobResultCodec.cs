using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Jobs;

/// <summary>What a job runs each image with: the batch route's options and request-wide default location.</summary>
/// <param name="Options">Component mode and classify_all_boxes settings.</param>
/// <param name="Defaults">The request-wide location (normalised), merged under each image's own.</param>
public sealed record JobSettings(AnalysisOptions Options, GeoLocation Defaults);

/// <summary>
/// The JSON the job store keeps opaque: a job's <see cref="JobSettings"/>, each image's requested location and each
/// image's <see cref="BatchImageResult"/>, so a result read back writes exactly as the batch route wrote it.
/// </summary>
public static class JobResultCodec
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string EncodeSettings(JobSettings settings) => JsonSerializer.Serialize(settings, Json);

    public static JobSettings DecodeSettings(string json) =>
        JsonSerializer.Deserialize<JobSettings>(json, Json) ?? throw new JsonException("The job's options are empty.");

    public static string EncodeResult(BatchImageResult result) => JsonSerializer.Serialize(result, Json);

    public static BatchImageResult DecodeResult(string json)
    {
        var result = JsonSerializer.Deserialize<BatchImageResult>(json, Json) ?? throw new JsonException("The stored result is empty.");
        // Lists and the metadata are never null in a result the batch route writes; older or partial rows get defaults.
        return result with
        {
            Metadata = result.Metadata ?? ImageMetadata.None,
            Prediction = result.Prediction with
            {
                Failures = result.Prediction.Failures ?? [],
                Location = result.Prediction.Location ?? GeoLocation.None,
            },
        };
    }

    public static string? EncodeLocation(GeoLocation? location) =>
        location is null || location == GeoLocation.None ? null : JsonSerializer.Serialize(location, Json);

    public static GeoLocation? DecodeLocation(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<GeoLocation>(json, Json);
}
