using System.Globalization;
using System.Text.Json;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;

namespace Atlas.Api.Contracts.Batch;

/// <summary>
/// MegaDetector batch output format, version 1.6 (what Timelapse reads), converted from SpeciesNet results with the
/// rules of SpeciesNet's <c>speciesnet_to_md</c> (spec 5.2): images sorted by file; a failed image has a
/// <c>failure</c> string (Python's <c>str()</c> of its failures list) and <c>detections: null</c>; every other image
/// has <c>detections</c> (possibly empty), each carrying <c>[[class_id, score]]</c> of the image's prediction (or
/// classifier top-1), human for any <c>hominidae;homo</c> class; a non-blank image without boxes gets one whole-image
/// box of category <c>unknown</c>. Category names are never blank. With <c>classify_all_boxes</c>, a detection that has
/// its own per-box prediction carries that class and score instead of the image's (MegaDetector's format has a
/// classification list per detection for exactly this); detections without one keep the image-level class.
/// </summary>
public static class MegaDetectorWriter
{
    public const string FormatVersion = "1.6";

    public static void Write(Utf8JsonWriter json, IReadOnlyList<BatchImageResult> results, string modelVersion)
    {
        var images = results.Select((r, i) => (Result: r, File: r.FilePath.Replace('\\', '/'), Index: i))
            .OrderBy(x => x.File, StringComparer.Ordinal).ThenBy(x => x.Index).ToList();

        // Detection categories as seen, then "unknown" (max id + 1) when a whole-image box is needed.
        var detectionCategories = new SortedDictionary<int, string>();
        foreach (var (r, _, _) in images)
        {
            foreach (var d in r.Prediction.Detections ?? [])
            {
                if (int.TryParse(d.Category, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) detectionCategories.TryAdd(id, d.Label);
            }
        }
        string? unknownCategory = null;

        var classIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var classOrder = new List<string>();
        var entries = new List<(string File, BatchImageResult Result, string? ClassId, double Score)>();
        string ClassIdOf(string label)
        {
            if (!classIds.TryGetValue(label, out var id))
            {
                id = classIds.Count.ToString(CultureInfo.InvariantCulture);
                classIds[label] = id;
                classOrder.Add(label);
            }
            return id;
        }
        foreach (var (r, file, _) in images)
        {
            var p = r.Prediction;
            if (p.Failures.Count > 0)
            {
                entries.Add((file, r, null, 0));
                continue;
            }
            var (label, score) = AssignedClass(p.Prediction, p.PredictionScore, p.Classifications);
            string? classId = null;
            if (label is not null)
            {
                classId = ClassIdOf(label);
                if (label != SpecialLabels.Blank && (p.Detections is null || p.Detections.Count == 0))
                {
                    unknownCategory ??= ((detectionCategories.Count == 0 ? 3 : detectionCategories.Keys.Max()) + 1).ToString(CultureInfo.InvariantCulture);
                }
            }
            foreach (var box in r.BoxPredictions ?? [])
            {
                ClassIdOf(HumanOr(box.Prediction));
            }
            entries.Add((file, r, classId, score));
        }

        json.WriteStartObject();
        json.WriteStartObject("info");
        json.WriteString("format_version", FormatVersion);
        json.WriteString("detector", $"SpeciesNet {modelVersion} detector (Atlas)");
        json.WriteString("detection_completion_time", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        json.WriteString("classifier", $"SpeciesNet {modelVersion} ensemble (Atlas)");
        json.WriteString("classification_completion_time", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        json.WriteEndObject();

        json.WriteStartObject("detection_categories");
        foreach (var (id, name) in detectionCategories) json.WriteString(id.ToString(CultureInfo.InvariantCulture), string.IsNullOrWhiteSpace(name) ? $"category {id}" : name);
        if (unknownCategory is not null) json.WriteString(unknownCategory, "unknown");
        json.WriteEndObject();

        json.WriteStartObject("classification_categories");
        foreach (var label in classOrder) json.WriteString(classIds[label], FriendlyName(label));
        json.WriteEndObject();
        json.WriteStartObject("classification_category_descriptions");
        foreach (var label in classOrder) json.WriteString(classIds[label], label);
        json.WriteEndObject();

        json.WriteStartArray("images");
        foreach (var (file, r, classId, score) in entries)
        {
            var p = r.Prediction;
            json.WriteStartObject();
            json.WriteString("file", file);
            if (p.Failures.Count > 0)
            {
                json.WriteString("failure", "[" + string.Join(", ", p.Failures.Select(f => $"'{f}'")) + "]");
                json.WriteNull("detections");
                json.WriteEndObject();
                continue;
            }
            json.WriteStartArray("detections");
            var detections = p.Detections ?? [];
            foreach (var d in detections)
            {
                var own = r.BoxPredictions?.FirstOrDefault(b => b.Bbox.SequenceEqual(d.Bbox));
                if (own is not null)
                    WriteDetection(json, d.Category, d.Conf, d.Bbox, classIds[HumanOr(own.Prediction)], own.PredictionScore);
                else
                    WriteDetection(json, d.Category, d.Conf, d.Bbox, classId, score);
            }
            if (detections.Count == 0 && classId is not null && unknownCategory is not null && classOrder[int.Parse(classId, CultureInfo.InvariantCulture)] != SpecialLabels.Blank)
            {
                WriteDetection(json, unknownCategory, score, [0.0, 0.0, 1.0, 1.0], classId, score);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteDetection(Utf8JsonWriter json, string category, double conf, IReadOnlyList<double> bbox, string? classId, double score)
    {
        json.WriteStartObject();
        json.WriteString("category", category);
        json.WriteNumber("conf", conf);
        SpeciesNetJsonWriter.WriteBbox(json, bbox);
        if (classId is not null)
        {
            json.WriteStartArray("classifications");
            json.WriteStartArray();
            json.WriteStringValue(classId);
            json.WriteNumberValue(score);
            json.WriteEndArray();
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    /// <summary>The prediction, else the classifier's top-1; any Homo class becomes human (speciesnet_to_md default).</summary>
    private static (string? Label, double Score) AssignedClass(string? prediction, double? predictionScore, Classifications? classifications)
    {
        if (prediction is not null) return (HumanOr(prediction), predictionScore ?? 0);
        if (classifications is { Classes.Count: > 0 } c) return (HumanOr(c.Classes[0]), c.Scores[0]);
        return (null, 0);
    }

    /// <summary>speciesnet_to_md's default: any Homo class is reported as human.</summary>
    private static string HumanOr(string label) =>
        label.Contains("hominidae;homo", StringComparison.Ordinal) || label.Contains("homo species", StringComparison.Ordinal)
            ? SpecialLabels.Human
            : label;

    /// <summary>speciesnet_to_md's name: common name, else "genus species", "genus species", family, order, class, uuid.</summary>
    public static string FriendlyName(string label)
    {
        var t = label.Split(';');
        if (t.Length != 7) return string.IsNullOrWhiteSpace(label) ? "unnamed category" : label;
        if (!string.IsNullOrWhiteSpace(t[6])) return t[6];
        if (!string.IsNullOrWhiteSpace(t[4]) && !string.IsNullOrWhiteSpace(t[5])) return $"{t[4]} {t[5]}";
        if (!string.IsNullOrWhiteSpace(t[4])) return $"{t[4]} species";
        if (!string.IsNullOrWhiteSpace(t[3])) return $"{t[3]} family";
        if (!string.IsNullOrWhiteSpace(t[2])) return $"{t[2]} order";
        if (!string.IsNullOrWhiteSpace(t[1])) return $"{t[1]} class";
        return string.IsNullOrWhiteSpace(t[0]) ? "unnamed category" : $"{t[0]} category";
    }
}
