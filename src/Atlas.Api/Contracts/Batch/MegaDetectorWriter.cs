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

    /// <summary>
    /// Writes the whole document in two passes over <paramref name="results"/>: the first collects the categories and
    /// each image's file name and class (a few bytes per image), the second re-reads the images in file order and
    /// writes them, flushing as it goes.
    /// </summary>
    public static async Task WriteAsync(Utf8JsonWriter json, IBatchResultSource results, string modelVersion, CancellationToken cancellationToken)
    {
        // Pass 1: detection categories as seen, each image's file and assigned class (labels interned).
        var detectionCategories = new SortedDictionary<int, string>();
        var labels = new List<string>();
        var labelKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        int Key(string label)
        {
            if (!labelKeys.TryGetValue(label, out var key))
            {
                key = labels.Count;
                labelKeys[label] = key;
                labels.Add(label);
            }
            return key;
        }
        var images = new List<ImageEntry>(results.Count);
        var index = 0;
        await foreach (var r in results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var p = r.Prediction;
            foreach (var d in p.Detections ?? [])
            {
                if (int.TryParse(d.Category, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) detectionCategories.TryAdd(id, d.Label);
            }
            var file = r.FilePath.Replace('\\', '/');
            if (p.Failures.Count > 0)
            {
                images.Add(new ImageEntry(file, index++, true, -1, 0, false, []));
                continue;
            }
            var (label, score) = AssignedClass(p.Prediction, p.PredictionScore, p.Classifications);
            var boxKeys = r.BoxPredictions is { Count: > 0 } boxes ? boxes.Select(b => Key(HumanOr(b.Prediction))).ToArray() : [];
            images.Add(new ImageEntry(file, index++, false, label is null ? -1 : Key(label), score, p.Detections is { Count: > 0 }, boxKeys));
        }
        images.Sort((a, b) => string.CompareOrdinal(a.File, b.File) is var c && c != 0 ? c : a.Index.CompareTo(b.Index));

        // Class ids in order of first use over the sorted images (the image's class, then its per-box classes).
        var classIds = new Dictionary<int, string>();
        var classOrder = new List<int>();
        string ClassIdOf(int key)
        {
            if (!classIds.TryGetValue(key, out var id))
            {
                id = classIds.Count.ToString(CultureInfo.InvariantCulture);
                classIds[key] = id;
                classOrder.Add(key);
            }
            return id;
        }
        string? unknownCategory = null;
        foreach (var image in images)
        {
            if (image.Failed) continue;
            if (image.LabelKey >= 0)
            {
                ClassIdOf(image.LabelKey);
                if (labels[image.LabelKey] != SpecialLabels.Blank && !image.HasDetections)
                {
                    unknownCategory ??= ((detectionCategories.Count == 0 ? 3 : detectionCategories.Keys.Max()) + 1).ToString(CultureInfo.InvariantCulture);
                }
            }
            foreach (var key in image.BoxLabelKeys) ClassIdOf(key);
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
        foreach (var key in classOrder) json.WriteString(classIds[key], FriendlyName(labels[key]));
        json.WriteEndObject();
        json.WriteStartObject("classification_category_descriptions");
        foreach (var key in classOrder) json.WriteString(classIds[key], labels[key]);
        json.WriteEndObject();

        // Pass 2: the images in file order.
        json.WriteStartArray("images");
        foreach (var image in images)
        {
            var r = await results.ReadAtAsync(image.Index, cancellationToken).ConfigureAwait(false);
            var p = r.Prediction;
            json.WriteStartObject();
            json.WriteString("file", image.File);
            if (image.Failed)
            {
                json.WriteString("failure", "[" + string.Join(", ", p.Failures.Select(f => $"'{f}'")) + "]");
                json.WriteNull("detections");
                json.WriteEndObject();
                await SpeciesNetJsonWriter.FlushIfFullAsync(json, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var classId = image.LabelKey >= 0 ? classIds[image.LabelKey] : null;
            json.WriteStartArray("detections");
            var detections = p.Detections ?? [];
            foreach (var d in detections)
            {
                var own = r.BoxPredictions?.FirstOrDefault(b => b.Bbox.SequenceEqual(d.Bbox));
                if (own is not null)
                    WriteDetection(json, d.Category, d.Conf, d.Bbox, classIds[labelKeys[HumanOr(own.Prediction)]], own.PredictionScore);
                else
                    WriteDetection(json, d.Category, d.Conf, d.Bbox, classId, image.Score);
            }
            if (detections.Count == 0 && image.LabelKey >= 0 && unknownCategory is not null && labels[image.LabelKey] != SpecialLabels.Blank)
            {
                WriteDetection(json, unknownCategory, image.Score, [0.0, 0.0, 1.0, 1.0], classId, image.Score);
            }
            json.WriteEndArray();
            json.WriteEndObject();
            await SpeciesNetJsonWriter.FlushIfFullAsync(json, cancellationToken).ConfigureAwait(false);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>What pass 1 keeps of one image: its file, position, class (label key or -1) and per-box class keys.</summary>
    private sealed record ImageEntry(string File, int Index, bool Failed, int LabelKey, double Score, bool HasDetections, int[] BoxLabelKeys);

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
        // Whitespace-only fields count as absent here (speciesnet_to_md strips them), unlike SpeciesLabel.DisplayName.
        if (!SpeciesLabel.TryParse(label, out var l)) return string.IsNullOrWhiteSpace(label) ? "unnamed category" : label;
        if (!string.IsNullOrWhiteSpace(l.CommonName)) return l.CommonName;
        if (!string.IsNullOrWhiteSpace(l.Genus) && !string.IsNullOrWhiteSpace(l.Species)) return $"{l.Genus} {l.Species}";
        if (!string.IsNullOrWhiteSpace(l.Genus)) return $"{l.Genus} species";
        if (!string.IsNullOrWhiteSpace(l.Family)) return $"{l.Family} family";
        if (!string.IsNullOrWhiteSpace(l.Order)) return $"{l.Order} order";
        if (!string.IsNullOrWhiteSpace(l.Class)) return $"{l.Class} class";
        return string.IsNullOrWhiteSpace(l.Uuid) ? "unnamed category" : $"{l.Uuid} category";
    }
}
