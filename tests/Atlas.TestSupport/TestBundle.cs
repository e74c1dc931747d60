using System.Text;
using Atlas.Infrastructure.Models.Demo;

namespace Atlas.TestSupport;

/// <summary>
/// A SpeciesNet bundle folder written by a test into a temporary directory: the demo bundle's files, with any file
/// replaced, removed or added. Deleted on dispose.
/// </summary>
public sealed class TestBundle : IDisposable
{
    private TestBundle(string directory) => Directory = directory;

    /// <summary>The bundle folder (what <c>SpeciesNet:ModelDir</c> points at).</summary>
    public string Directory { get; }

    /// <summary>Writes the demo bundle, after <paramref name="edit"/> has changed its file map (null value = no file).</summary>
    public static TestBundle FromDemo(Action<Dictionary<string, byte[]?>>? edit = null)
    {
        var files = DemoBundle.CreateFiles().ToDictionary(f => f.Key, f => (byte[]?)f.Value, StringComparer.Ordinal);
        edit?.Invoke(files);
        return Write(files);
    }

    /// <summary>Writes exactly <paramref name="files"/> (null values are skipped).</summary>
    public static TestBundle Write(IReadOnlyDictionary<string, byte[]?> files)
    {
        var directory = Path.Combine(Path.GetTempPath(), "atlas-bundle-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in files)
        {
            if (bytes is not null) File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }

        return new TestBundle(directory);
    }

    /// <summary>info.json with the demo file names unless overridden.</summary>
    public static byte[] InfoJson(
        string version = "test-bundle",
        string type = "always_crop",
        string classifier = DemoBundle.ClassifierFile,
        string labels = DemoBundle.LabelsFile,
        string detector = DemoBundle.DetectorFile,
        string taxonomy = DemoBundle.TaxonomyFile,
        string geofence = DemoBundle.GeofenceFile) =>
        Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["version"] = version,
            ["type"] = type,
            ["classifier"] = classifier,
            ["classifier_labels"] = labels,
            ["detector"] = detector,
            ["taxonomy"] = taxonomy,
            ["geofence"] = geofence,
        }));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A session may still hold a file on some platforms; the temp folder is cleaned by the OS.
        }
    }
}
