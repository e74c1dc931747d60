using System.Text.Json;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Api.Contracts.Batch;

/// <summary>
/// SpeciesNet's predictions JSON (spec 5.1): <c>{"predictions":[...]}</c> in input order, each entry's keys in the
/// reference order with null keys omitted (location and model_version only in full mode). Atlas's additions come after <c>model_version</c>, also omitted when null:
/// <c>location_source</c>, <c>width</c>, <c>height</c>, <c>capture_time</c>, <c>camera_make</c>, <c>camera_model</c>,
/// <c>camera_serial</c>, <c>detection_predictions</c> (classify_all_boxes) and <c>error</c> (why an image failed).
/// </summary>
public static class SpeciesNetJsonWriter
{
    /// <summary>Bytes a writer may buffer before they are sent, so an answer of any length is written in pieces.</summary>
    public const int FlushThreshold = 32 * 1024;

    public static async Task WriteAsync(Utf8JsonWriter json, IBatchResultSource results, ComponentMode mode, CancellationToken cancellationToken)
    {
        json.WriteStartObject();
        json.WriteStartArray("predictions");
        await foreach (var result in results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            WriteEntry(json, result, mode);
            await FlushIfFullAsync(json, cancellationToken).ConfigureAwait(false);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    internal static ValueTask FlushIfFullAsync(Utf8JsonWriter json, CancellationToken cancellationToken) =>
        json.BytesPending >= FlushThreshold ? new ValueTask(json.FlushAsync(cancellationToken)) : ValueTask.CompletedTask;

    /// <summary>
    /// One entry. Detector-only and classifier-only entries carry, as SpeciesNet's, only <c>filepath</c> plus
    /// <c>failures</c> or that component's output (<c>detections</c> / <c>classifications</c>), then Atlas's additions.
    /// </summary>
    public static void WriteEntry(Utf8JsonWriter json, BatchImageResult result, ComponentMode mode)
    {
        var full = mode == ComponentMode.Full;
        var p = result.Prediction;
        json.WriteStartObject();
        json.WriteString("filepath", result.FilePath);
        if (p.Failures.Count > 0)
        {
            json.WriteStartArray("failures");
            foreach (var f in p.Failures) json.WriteStringValue(f);
            json.WriteEndArray();
        }
        if (full)
        {
            OptionalString(json, "country", p.Location.Country);
            OptionalString(json, "admin1_region", p.Location.Admin1Region);
            OptionalNumber(json, "latitude", p.Location.Latitude);
            OptionalNumber(json, "longitude", p.Location.Longitude);
        }
        if (p.Classifications is { } c)
        {
            json.WriteStartObject("classifications");
            json.WriteStartArray("classes");
            foreach (var cls in c.Classes) json.WriteStringValue(cls);
            json.WriteEndArray();
            json.WriteStartArray("scores");
            foreach (var s in c.Scores) json.WriteNumberValue(s);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (p.Detections is { } detections)
        {
            json.WriteStartArray("detections");
            foreach (var d in detections)
            {
                json.WriteStartObject();
                json.WriteString("category", d.Category);
                json.WriteString("label", d.Label);
                json.WriteNumber("conf", d.Conf);
                WriteBbox(json, d.Bbox);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        OptionalString(json, "prediction", p.Prediction);
        OptionalNumber(json, "prediction_score", p.PredictionScore);
        OptionalString(json, "prediction_source", p.PredictionSource);
        if (full) json.WriteString("model_version", p.ModelVersion);

        json.WriteString("location_source", result.LocationSource);
        OptionalNumber(json, "width", result.Width);
        OptionalNumber(json, "height", result.Height);
        OptionalString(json, "capture_time", result.Metadata.CaptureTime);
        OptionalString(json, "camera_make", result.Metadata.CameraMake);
        OptionalString(json, "camera_model", result.Metadata.CameraModel);
        OptionalString(json, "camera_serial", result.Metadata.CameraSerial);
        if (result.BoxPredictions is { } boxes)
        {
            json.WriteStartArray("detection_predictions");
            foreach (var b in boxes)
            {
                json.WriteStartObject();
                json.WriteString("prediction", b.Prediction);
                json.WriteNumber("prediction_score", b.PredictionScore);
                json.WriteString("prediction_source", b.PredictionSource);
                WriteBbox(json, b.Bbox);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        OptionalString(json, "error", result.Error);
        json.WriteEndObject();
    }

    internal static void WriteBbox(Utf8JsonWriter json, IReadOnlyList<double> bbox)
    {
        json.WriteStartArray("bbox");
        foreach (var v in bbox) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    private static void OptionalString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null) json.WriteString(name, value);
    }

    private static void OptionalNumber(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
    }
}
