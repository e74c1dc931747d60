using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Atlas.Api.Tests.Batch;

/// <summary>
/// Strict parsers for the three batch formats, written from their specifications (not from Atlas's writers). Each
/// returns the list of every violation found, so an assertion shows them all.
/// </summary>
internal static class FormatValidators
{
    private static readonly string[] SpeciesNetKeys =
        ["filepath", "failures", "country", "admin1_region", "latitude", "longitude", "classifications", "detections", "prediction", "prediction_score", "prediction_source", "model_version"];

    private static readonly string[] AtlasKeys =
        ["location_source", "width", "height", "capture_time", "camera_make", "camera_model", "camera_serial", "detection_predictions", "error"];

    private static readonly string[] FailureOrder = ["CLASSIFIER", "DETECTOR", "GEOLOCATION"];

    /// <summary>
    /// SpeciesNet predictions JSON (spec 5.1): only <c>predictions</c> at the top; per entry the keys of 5.1 in their
    /// order, no nulls, the documented types, failures a subset of CLASSIFIER/DETECTOR/GEOLOCATION in that order, the
    /// prediction triple present together and only without CLASSIFIER/DETECTOR failures; Atlas's additions only after
    /// them. <paramref name="mode"/> "detector"/"classifier" allow only filepath + failures|that component's output.
    /// </summary>
    public static List<string> SpeciesNet(JsonElement root, string mode = "full")
    {
        var errors = new List<string>();
        if (root.ValueKind != JsonValueKind.Object) return ["root is not an object"];
        var top = root.EnumerateObject().Select(p => p.Name).ToList();
        if (top.Count != 1 || top[0] != "predictions") errors.Add($"top-level keys must be exactly [predictions], got [{string.Join(",", top)}]");
        if (!root.TryGetProperty("predictions", out var predictions) || predictions.ValueKind != JsonValueKind.Array) return [.. errors, "predictions is not an array"];
        var order = SpeciesNetKeys.Concat(AtlasKeys).ToList();
        var i = 0;
        foreach (var entry in predictions.EnumerateArray())
        {
            var at = $"predictions[{i++}]";
            if (entry.ValueKind != JsonValueKind.Object) { errors.Add($"{at} is not an object"); continue; }
            var last = -1;
            var keys = new HashSet<string>();
            foreach (var p in entry.EnumerateObject())
            {
                var index = order.IndexOf(p.Name);
                if (index < 0) { errors.Add($"{at}: unknown key {p.Name}"); continue; }
                if (index <= last) errors.Add($"{at}: key {p.Name} out of order");
                last = Math.Max(last, index);
                if (!keys.Add(p.Name)) errors.Add($"{at}: duplicate key {p.Name}");
                if (p.Value.ValueKind == JsonValueKind.Null) errors.Add($"{at}.{p.Name} is null (null keys are omitted)");
            }
            if (!keys.Contains("filepath") || entry.GetProperty("filepath").ValueKind != JsonValueKind.String) errors.Add($"{at}: filepath missing or not a string");

            var failures = new List<string>();
            if (entry.TryGetProperty("failures", out var f))
            {
                if (f.ValueKind != JsonValueKind.Array || f.GetArrayLength() == 0) errors.Add($"{at}.failures must be a non-empty array");
                else failures = [.. f.EnumerateArray().Select(x => x.GetString() ?? "")];
                if (failures.Any(x => !FailureOrder.Contains(x))) errors.Add($"{at}.failures has an unknown value");
                if (!failures.SequenceEqual(failures.OrderBy(x => Array.IndexOf(FailureOrder, x)).Distinct())) errors.Add($"{at}.failures not in CLASSIFIER, DETECTOR, GEOLOCATION order");
            }
            String(entry, "country", at, errors, v => v.Length == 3 && v.All(char.IsAsciiLetterUpper));
            String(entry, "admin1_region", at, errors, v => v.Length > 0);
            Number(entry, "latitude", at, errors, -90, 90);
            Number(entry, "longitude", at, errors, -180, 180);
            if (entry.TryGetProperty("classifications", out var c)) Classifications(c, $"{at}.classifications", errors);
            if (entry.TryGetProperty("detections", out var d)) Detections(d, $"{at}.detections", errors);

            var triple = new[] { "prediction", "prediction_score", "prediction_source" }.Count(keys.Contains);
            if (triple is not (0 or 3)) errors.Add($"{at}: prediction, prediction_score and prediction_source come together");
            if (triple == 3 && (failures.Contains("CLASSIFIER") || failures.Contains("DETECTOR"))) errors.Add($"{at}: a prediction despite a model failure");
            String(entry, "prediction", at, errors, v => v.Split(';').Length == 7);
            Number(entry, "prediction_score", at, errors, 0, 1 + 1e-9);
            String(entry, "prediction_source", at, errors, v => v is "detector" or "classifier" || v.StartsWith("classifier+", StringComparison.Ordinal));

            if (mode == "full")
            {
                if (!keys.Contains("model_version")) errors.Add($"{at}: model_version missing");
                if (failures.Count == 0 && !(keys.Contains("classifications") && keys.Contains("detections") && triple == 3)) errors.Add($"{at}: a successful full entry needs classifications, detections and a prediction");
            }
            else
            {
                var allowed = mode == "detector" ? "detections" : "classifications";
                var core = keys.Where(k => SpeciesNetKeys.Contains(k)).ToHashSet();
                core.ExceptWith(["filepath", "failures", allowed]);
                if (core.Count > 0) errors.Add($"{at}: {mode}-only entries carry only filepath + failures|{allowed}, also got {string.Join(",", core)}");
                if (keys.Contains("failures") == keys.Contains(allowed)) errors.Add($"{at}: exactly one of failures and {allowed}");
            }

            String(entry, "location_source", at, errors, v => v is "request" or "exif" or "none");
            Number(entry, "width", at, errors, 1, 1e6);
            Number(entry, "height", at, errors, 1, 1e6);
            if (entry.TryGetProperty("detection_predictions", out var boxes))
            {
                if (boxes.ValueKind != JsonValueKind.Array) errors.Add($"{at}.detection_predictions not an array");
                else
                {
                    var scores = new List<double>();
                    foreach (var b in boxes.EnumerateArray())
                    {
                        var names = b.EnumerateObject().Select(p => p.Name).ToArray();
                        if (!names.SequenceEqual(["prediction", "prediction_score", "prediction_source", "bbox"])) errors.Add($"{at}.detection_predictions entry keys {string.Join(",", names)}");
                        else { scores.Add(b.GetProperty("prediction_score").GetDouble()); Bbox(b.GetProperty("bbox"), $"{at}.detection_predictions.bbox", errors); }
                    }
                    if (!scores.SequenceEqual(scores.OrderByDescending(s => s))) errors.Add($"{at}.detection_predictions not sorted by score");
                }
            }
        }
        return errors;
    }

    /// <summary>
    /// MegaDetector batch output format 1.6 (megadetector-output-format.md): exactly info, detection_categories,
    /// classification_categories, classification_category_descriptions, images; info.format_version the string "1.6";
    /// category maps keyed by integer strings with non-blank names; each image a file plus either a failure string
    /// (detections null or absent) or a detections array (even empty) whose entries have a known category, conf in
    /// 0..1, a normalised [x, y, w, h] bbox and optional classifications [[known class id, 0..1]]; images sorted by file.
    /// </summary>
    public static List<string> MegaDetector(JsonElement root)
    {
        var errors = new List<string>();
        if (root.ValueKind != JsonValueKind.Object) return ["root is not an object"];
        var expected = new[] { "info", "detection_categories", "classification_categories", "classification_category_descriptions", "images" };
        var top = root.EnumerateObject().Select(p => p.Name).ToList();
        if (!top.OrderBy(x => x).SequenceEqual(expected.OrderBy(x => x))) return [$"top-level keys [{string.Join(",", top)}]"];

        var info = root.GetProperty("info");
        if (!info.TryGetProperty("format_version", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "1.6")
            errors.Add("info.format_version must be the string \"1.6\"");
        foreach (var p in info.EnumerateObject())
        {
            if (p.Name is not ("format_version" or "detector" or "detection_completion_time" or "classifier" or "classification_completion_time" or "detector_metadata" or "classifier_metadata" or "summary_report"))
                errors.Add($"info: unknown key {p.Name}");
        }
        var detectionCategories = CategoryMap(root.GetProperty("detection_categories"), "detection_categories", errors);
        var classCategories = CategoryMap(root.GetProperty("classification_categories"), "classification_categories", errors);
        var descriptions = CategoryMap(root.GetProperty("classification_category_descriptions"), "classification_category_descriptions", errors);
        if (!classCategories.Keys.Order().SequenceEqual(descriptions.Keys.Order())) errors.Add("classification_category_descriptions ids differ from classification_categories");

        var images = root.GetProperty("images");
        if (images.ValueKind != JsonValueKind.Array) return [.. errors, "images is not an array"];
        var files = new List<string>();
        var i = 0;
        foreach (var image in images.EnumerateArray())
        {
            var at = $"images[{i++}]";
            foreach (var p in image.EnumerateObject())
            {
                if (p.Name is not ("file" or "detections" or "failure")) errors.Add($"{at}: unknown key {p.Name}");
            }
            if (!image.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.String || file.GetString()!.Length == 0) { errors.Add($"{at}.file missing"); continue; }
            files.Add(file.GetString()!);
            if (file.GetString()!.Contains('\\')) errors.Add($"{at}.file has a backslash");
            var failed = image.TryGetProperty("failure", out var failure);
            image.TryGetProperty("detections", out var detections);
            if (failed)
            {
                if (failure.ValueKind != JsonValueKind.String || failure.GetString()!.Length == 0) errors.Add($"{at}.failure must be a non-empty string");
                if (detections.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null)) errors.Add($"{at}: a failed image has no detections");
                continue;
            }
            if (detections.ValueKind != JsonValueKind.Array) { errors.Add($"{at}.detections must be an array on a successful image"); continue; }
            var j = 0;
            foreach (var d in detections.EnumerateArray())
            {
                var dat = $"{at}.detections[{j++}]";
                foreach (var p in d.EnumerateObject())
                {
                    if (p.Name is not ("category" or "conf" or "bbox" or "classifications")) errors.Add($"{dat}: unknown key {p.Name}");
                }
                if (!d.TryGetProperty("category", out var cat) || cat.ValueKind != JsonValueKind.String || !detectionCategories.ContainsKey(cat.GetString()!)) errors.Add($"{dat}.category unknown");
                if (!d.TryGetProperty("conf", out var conf) || conf.ValueKind != JsonValueKind.Number || conf.GetDouble() is < 0 or > 1) errors.Add($"{dat}.conf not in 0..1");
                if (!d.TryGetProperty("bbox", out var bbox)) errors.Add($"{dat}.bbox missing"); else Bbox(bbox, $"{dat}.bbox", errors);
                if (d.TryGetProperty("classifications", out var cls))
                {
                    if (cls.ValueKind != JsonValueKind.Array) { errors.Add($"{dat}.classifications not an array"); continue; }
                    foreach (var pair in cls.EnumerateArray())
                    {
                        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[0].ValueKind != JsonValueKind.String
                            || !classCategories.ContainsKey(pair[0].GetString()!) || pair[1].ValueKind != JsonValueKind.Number || pair[1].GetDouble() is < 0 or > 1 + 1e-9)
                            errors.Add($"{dat}.classifications entry {pair} is not [known class id, score]");
                    }
                }
            }
        }
        if (!files.SequenceEqual(files.Order(StringComparer.Ordinal))) errors.Add("images are not sorted by file");
        return errors;
    }

    /// <summary>RFC 4180 parse (quoted fields, doubled quotes, CRLF records); throws on a malformed document.</summary>
    public static List<string[]> Csv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        var quotedField = false;
        while (i < text.Length)
        {
            var ch = text[i];
            if (field.Length == 0 && !quotedField && ch == '"')
            {
                quotedField = true;
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new FormatException("unterminated quoted field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] is not (',' or '\r')) throw new FormatException($"text after a closing quote at {i}");
                continue;
            }
            if (ch == ',') { row.Add(field.ToString()); field.Clear(); quotedField = false; i++; continue; }
            if (ch == '\r')
            {
                if (i + 1 >= text.Length || text[i + 1] != '\n') throw new FormatException($"CR without LF at {i}");
                row.Add(field.ToString()); field.Clear(); quotedField = false;
                rows.Add([.. row]); row.Clear();
                i += 2;
                continue;
            }
            if (ch == '\n') throw new FormatException($"bare LF at {i} (records end with CRLF)");
            if (ch == '"') throw new FormatException($"quote inside an unquoted field at {i}");
            field.Append(ch);
            i++;
        }
        if (field.Length > 0 || row.Count > 0) throw new FormatException("last record does not end with CRLF");
        return rows;
    }

    private static Dictionary<string, string> CategoryMap(JsonElement map, string at, List<string> errors)
    {
        var result = new Dictionary<string, string>();
        if (map.ValueKind != JsonValueKind.Object) { errors.Add($"{at} is not an object"); return result; }
        foreach (var p in map.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _)) errors.Add($"{at}: id '{p.Name}' is not an integer string");
            if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString())) errors.Add($"{at}[{p.Name}] has a blank name");
            else result[p.Name] = p.Value.GetString()!;
        }
        return result;
    }

    private static void Classifications(JsonElement c, string at, List<string> errors)
    {
        var names = c.EnumerateObject().Select(p => p.Name).ToArray();
        if (names.Length < 2 || names[0] != "classes" || names[1] != "scores" || names.Skip(2).Any(n => n is not ("target_classes" or "target_logits")))
        {
            errors.Add($"{at} keys [{string.Join(",", names)}]");
            return;
        }
        var classes = c.GetProperty("classes");
        var scores = c.GetProperty("scores");
        if (classes.GetArrayLength() != scores.GetArrayLength() || classes.GetArrayLength() is 0 or > 5) errors.Add($"{at}: 1..5 classes and as many scores");
        if (classes.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || x.GetString()!.Split(';').Length != 7)) errors.Add($"{at}.classes are not 7-field labels");
        var s = scores.EnumerateArray().Select(x => x.GetDouble()).ToList();
        if (s.Any(x => x is < 0 or > 1) || !s.SequenceEqual(s.OrderByDescending(x => x))) errors.Add($"{at}.scores not in 0..1, highest first");
    }

    private static void Detections(JsonElement d, string at, List<string> errors)
    {
        if (d.ValueKind != JsonValueKind.Array) { errors.Add($"{at} is not an array"); return; }
        var confs = new List<double>();
        foreach (var det in d.EnumerateArray())
        {
            var names = det.EnumerateObject().Select(p => p.Name).ToArray();
            if (!names.SequenceEqual(["category", "label", "conf", "bbox"])) { errors.Add($"{at} entry keys [{string.Join(",", names)}]"); continue; }
            var pair = (det.GetProperty("category").GetString(), det.GetProperty("label").GetString());
            if (pair is not (("1", "animal") or ("2", "human") or ("3", "vehicle"))) errors.Add($"{at}: category/label {pair}");
            var conf = det.GetProperty("conf").GetDouble();
            if (conf is < 0 or > 1) errors.Add($"{at}: conf {conf}");
            confs.Add(conf);
            Bbox(det.GetProperty("bbox"), $"{at}.bbox", errors);
        }
        if (!confs.SequenceEqual(confs.OrderByDescending(x => x))) errors.Add($"{at} not sorted by conf");
    }

    private static void Bbox(JsonElement bbox, string at, List<string> errors)
    {
        if (bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4 || bbox.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            errors.Add($"{at} is not 4 numbers");
            return;
        }
        var v = bbox.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        if (v.Any(x => x is < 0 or > 1) || v[0] + v[2] > 1 + 1e-6 || v[1] + v[3] > 1 + 1e-6) errors.Add($"{at} [{string.Join(",", v)}] is not a normalised box");
    }

    private static void String(JsonElement entry, string name, string at, List<string> errors, Func<string, bool> valid)
    {
        if (!entry.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.String || !valid(v.GetString()!)) errors.Add($"{at}.{name} = {v} is invalid");
    }

    private static void Number(JsonElement entry, string name, string at, List<string> errors, double min, double max)
    {
        if (!entry.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() < min || v.GetDouble() > max) errors.Add($"{at}.{name} = {v} is invalid");
    }
}
