using System.Text;

namespace Atlas.Infrastructure.Models.Demo;

/// <summary>
/// The demo model bundle: tiny, untrained, deterministic stand-ins for MegaDetector and the SpeciesNet
/// classifier that honour the same tensor contracts and answer according to image colour
/// (<see cref="DemoColours"/>), so the service runs and is testable end to end without the real weights.
/// Same folder layout as a SpeciesNet model (spec 1.1). Its predictions mean nothing about real animals.
/// </summary>
public static class DemoBundle
{
    /// <summary>info.json <c>version</c>; copied into every prediction's <c>model_version</c>.</summary>
    public const string Version = "demo-untrained";

    public const string InfoFile = "info.json";
    public const string ClassifierFile = "classifier.onnx";
    public const string LabelsFile = "labels.txt";
    public const string DetectorFile = "detector.onnx";
    public const string TaxonomyFile = "taxonomy.txt";
    public const string GeofenceFile = "geofence.json";

    /// <summary>info.json content.</summary>
    public const string InfoJson = $$"""
        {
          "version": "{{Version}}",
          "demo": true,
          "type": "always_crop",
          "classifier": "{{ClassifierFile}}",
          "classifier_labels": "{{LabelsFile}}",
          "detector": "{{DetectorFile}}",
          "taxonomy": "{{TaxonomyFile}}",
          "geofence": "{{GeofenceFile}}"
        }

        """;

    /// <summary>Every file of the bundle, by file name (UTF-8 text files without BOM, LF line ends).</summary>
    public static IReadOnlyDictionary<string, byte[]> CreateFiles() => new Dictionary<string, byte[]>(StringComparer.Ordinal)
    {
        [InfoFile] = Encoding.UTF8.GetBytes(InfoJson),
        [ClassifierFile] = DemoClassifierModel.Build(),
        [LabelsFile] = Encoding.UTF8.GetBytes(DemoLabels.LabelsFile),
        [DetectorFile] = DemoDetectorModel.Build(),
        [TaxonomyFile] = Encoding.UTF8.GetBytes(DemoLabels.TaxonomyFile),
        [GeofenceFile] = Encoding.UTF8.GetBytes(DemoLabels.GeofenceJson),
    };

    /// <summary>Writes the bundle into <paramref name="directory"/> (created if needed; existing bundle files are replaced).</summary>
    /// <returns>The full paths written.</returns>
    public static IReadOnlyList<string> WriteTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (name, bytes) in CreateFiles())
        {
            var path = Path.Combine(directory, name);
            File.WriteAllBytes(path, bytes);
            written.Add(Path.GetFullPath(path));
        }

        return written;
    }
}
