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
/// image's <see cref="BatchImageResult"/> (in the batch spool's lossless form), so a result read back writes exactly
/// as the batch route wrote it.
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

    /// <summary>A result as the store keeps it: the batch spool's lossless JSON (<see cref="BatchResultCodec"/>).</summary>
    public static string EncodeResult(BatchImageResult result) => System.Text.Encoding.UTF8.GetString(BatchResultCodec.Serialize(result));

    public static BatchImageResult DecodeResult(string json) => BatchResultCodec.Deserialize(System.Text.Encoding.UTF8.GetBytes(json));

    public static string? EncodeLocation(GeoLocation? location) =>
        location is null || location == GeoLocation.None ? null : JsonSerializer.Serialize(location, Json);

    public static GeoLocation? DecodeLocation(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<GeoLocation>(json, Json);
}
