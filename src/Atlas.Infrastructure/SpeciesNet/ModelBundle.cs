using System.Text.Json;
using Atlas.Domain.Errors;
using Atlas.Domain.Geofencing;
using Atlas.Domain.Taxonomy;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>SpeciesNet classifier variants (info.json <c>type</c>).</summary>
public enum BundleType
{
    /// <summary>"…a" models: the classifier sees the crop of the top detection (spec 3.2).</summary>
    AlwaysCrop,

    /// <summary>"…b" models: the classifier sees a height-centre-cropped full image (spec 3.3).</summary>
    FullImage,
}

/// <summary>
/// A SpeciesNet model bundle, read and checked: info.json, the classifier labels (logit order), the taxonomy and
/// the geofence, plus the raw bytes of both ONNX models. Everything is validated when loading, and every error
/// names the file and the problem (<see cref="ModelBundleException"/>).
/// </summary>
public sealed record ModelBundle(
    string Version,
    BundleType Type,
    string Source,
    bool IsDemo,
    string DetectorName,
    byte[] Detector,
    string ClassifierName,
    byte[] Classifier,
    string? DetectorPath,
    string? ClassifierPath,
    IReadOnlyList<SpeciesLabel> Labels,
    SpeciesTaxonomy Taxonomy,
    Geofence Geofence)
{
    /// <summary>info.json <c>type</c> string.</summary>
    public string TypeName => Type == BundleType.AlwaysCrop ? "always_crop" : "full_image";

    /// <summary>Loads a bundle folder in SpeciesNet's layout (spec 1.1) whose models are ONNX files.</summary>
    public static ModelBundle LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ModelBundleException($"Model folder '{directory}' (SPECIESNET_MODEL_DIR) does not exist.");
        }

        var full = Path.GetFullPath(directory);
        if (!File.Exists(Path.Combine(full, "info.json")))
        {
            throw new ModelBundleException($"Model bundle '{full}': info.json is missing. A SpeciesNet bundle folder holds info.json naming its models, labels, taxonomy and geofence (see README).");
        }

        string PathOf(string name)
        {
            var path = Path.GetFullPath(Path.Combine(full, name));
            if (!File.Exists(path))
            {
                throw new ModelBundleException($"Model bundle '{full}': file '{name}' named in info.json is missing ({path}).");
            }
            return path;
        }

        // Models are opened by path (not read into memory), so ONNX Runtime finds external weight files
        // (model.onnx.data) beside them, as large exports produce.
        return Load(full, isDemo: false, name => File.ReadAllBytes(PathOf(name)), PathOf);
    }

    /// <summary>Loads a bundle held in memory (the embedded demo bundle), file name to bytes.</summary>
    public static ModelBundle LoadFiles(IReadOnlyDictionary<string, byte[]> files, string source, bool isDemo) =>
        Load(source, isDemo, name => files.TryGetValue(name, out var bytes)
            ? bytes
            : throw new ModelBundleException($"Model bundle '{source}': file '{name}' named in info.json is missing."), modelPath: null);

    private static ModelBundle Load(string source, bool isDemo, Func<string, byte[]> read, Func<string, string>? modelPath)
    {
        var info = ReadInfo(source, read("info.json"));
        var labels = ClassifierLabels.Parse(Lines(read(info.ClassifierLabels)), info.ClassifierLabels);
        if (labels.Count == 0)
        {
            throw new ModelBundleException($"Model bundle '{source}': labels file '{info.ClassifierLabels}' has no labels.");
        }

        var taxonomy = SpeciesTaxonomy.FromLines(Lines(read(info.Taxonomy)), info.Taxonomy);
        Geofence geofence;
        var geofenceBytes = WithoutBom(read(info.Geofence));
        using (var stream = new MemoryStream(geofenceBytes.ToArray(), writable: false))
        {
            geofence = Geofence.Parse(stream, info.Geofence);
        }

        return new ModelBundle(
            info.Version, info.Type, source, isDemo || info.Demo,
            info.Detector, modelPath is null ? read(info.Detector) : [],
            info.Classifier, modelPath is null ? read(info.Classifier) : [],
            modelPath?.Invoke(info.Detector), modelPath?.Invoke(info.Classifier),
            labels, taxonomy, geofence);
    }

    /// <summary>Bundle text files are UTF-8; a byte-order mark (common from Windows editors) is not part of the content.</summary>
    private static ReadOnlyMemory<byte> WithoutBom(byte[] utf8) =>
        utf8.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? utf8.AsMemory(3) : utf8;

    private static List<string> Lines(byte[] utf8)
    {
        using var reader = new StringReader(System.Text.Encoding.UTF8.GetString(WithoutBom(utf8).Span));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    private sealed record Info(string Version, BundleType Type, string Classifier, string ClassifierLabels, string Detector, string Taxonomy, string Geofence, bool Demo);

    private static Info ReadInfo(string source, byte[] json)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(WithoutBom(json));
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ModelBundleException($"Model bundle '{source}': info.json is not valid JSON ({ex.Message}).", ex);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelBundleException($"Model bundle '{source}': info.json must be a JSON object.");
        }

        string Field(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            {
                throw new ModelBundleException($"Model bundle '{source}': info.json needs a non-empty string field '{name}'.");
            }
            return value.GetString()!.Trim();
        }

        string ModelFile(string name)
        {
            var file = RelativeFile(name);
            if (file.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || file.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelBundleException($"Model bundle '{source}': info.json '{name}' is a URL ({file}). Atlas does not download or convert models at run time: convert the official weights with tools/convert (see README) and name the resulting .onnx file here.");
            }
            if (!file.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelBundleException($"Model bundle '{source}': info.json '{name}' names '{file}', which is not an ONNX file. Convert the PyTorch weights with tools/convert (see README).");
            }
            return file;
        }

        string RelativeFile(string name)
        {
            var file = Field(name);
            if (Path.IsPathRooted(file) || file.Split('/', '\\').Contains(".."))
            {
                throw new ModelBundleException($"Model bundle '{source}': info.json '{name}' must be a file name relative to the bundle folder, not '{file}'.");
            }
            return file;
        }

        // info.json's version is copied verbatim into every model_version (spec 1.1): not trimmed.
        string Version()
        {
            Field("version");
            return root.GetProperty("version").GetString()!;
        }

        var type = Field("type") switch
        {
            "always_crop" => BundleType.AlwaysCrop,
            "full_image" => BundleType.FullImage,
            var other => throw new ModelBundleException($"Model bundle '{source}': info.json 'type' is '{other}'; expected 'always_crop' or 'full_image'."),
        };

        // Optional Atlas extension: "demo": true marks a bundle of untrained stand-ins (tools/Atlas.BundleTool demo).
        bool Demo()
        {
            if (!root.TryGetProperty("demo", out var value)) return false;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ModelBundleException($"Model bundle '{source}': info.json 'demo' must be true or false, not {value.GetRawText()}."),
            };
        }

        return new Info(Version(), type, ModelFile("classifier"), RelativeFile("classifier_labels"), ModelFile("detector"), RelativeFile("taxonomy"), RelativeFile("geofence"), Demo());
    }
}
