#pragma warning disable CA1861 // expected values written inline in assertions read better than static fields
using System.Text;
using System.Text.Json;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;

namespace Atlas.Infrastructure.Tests.Onnx;

[TestFixture]
public sealed class DemoBundleTests
{
    [Test]
    public void WriteTo_EmptyFolder_WritesSpeciesNetLayoutThatLoads()
    {
        var dir = Directory.CreateTempSubdirectory("atlas-demo-").FullName;
        try
        {
            var written = DemoBundle.WriteTo(dir);

            Assert.That(written.Select(Path.GetFileName), Is.EquivalentTo(new[]
            {
                "info.json", "classifier.onnx", "labels.txt", "detector.onnx", "taxonomy.txt", "geofence.json",
            }));
            using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "info.json")));
            var root = info.RootElement;
            Assert.That(root.GetProperty("version").GetString(), Is.EqualTo("demo-untrained"));
            Assert.That(root.GetProperty("type").GetString(), Is.EqualTo("always_crop"));
            var factory = OnnxTestHelpers.CpuFactory();
            var labels = File.ReadAllLines(Path.Combine(dir, root.GetProperty("classifier_labels").GetString()!));
            using var classifier = new ClassifierRunner(factory.Create(Path.Combine(dir, root.GetProperty("classifier").GetString()!)), labels.Length);
            using var detector = new DetectorRunner(factory.Create(Path.Combine(dir, root.GetProperty("detector").GetString()!)));
            Assert.That(File.Exists(Path.Combine(dir, root.GetProperty("taxonomy").GetString()!)));
            Assert.That(File.Exists(Path.Combine(dir, root.GetProperty("geofence").GetString()!)));
            Assert.DoesNotThrow(classifier.WarmUp);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void CreateFiles_CalledTwice_IsByteIdentical()
    {
        var a = DemoBundle.CreateFiles();
        var b = DemoBundle.CreateFiles();

        foreach (var (name, bytes) in a) Assert.That(b[name], Is.EqualTo(bytes), name);
    }

    [Test]
    public void LabelsFile_EveryLine_HasSevenFieldsAndUniqueUuid()
    {
        var lines = DemoLabels.LabelsFile.TrimEnd('\n').Split('\n');

        Assert.That(lines, Has.Length.EqualTo(DemoLabels.Classifier.Count));
        Assert.That(lines.Select(l => l.Split(';').Length), Is.All.EqualTo(7));
        Assert.That(lines.Select(l => Guid.Parse(l.Split(';')[0])), Is.Unique);
    }

    [Test]
    public void TaxonomyFile_IsSortedSupersetOfLabels()
    {
        var taxonomy = DemoLabels.TaxonomyFile.TrimEnd('\n').Split('\n');

        Assert.That(taxonomy, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(taxonomy, Is.SupersetOf(DemoLabels.Classifier));
        Assert.That(taxonomy.Select(l => l.Split(';').Length), Is.All.EqualTo(7));
    }

    [Test]
    public void TaxonomyFile_EveryLabel_HasEveryNamedAncestor()
    {
        var keys = DemoLabels.TaxonomyFile.TrimEnd('\n').Split('\n')
            .Select(l => string.Join(';', l.Split(';')[1..6])).ToHashSet(StringComparer.Ordinal);

        foreach (var label in DemoLabels.Classifier)
        {
            var t = label.Split(';');
            if (t[4].Length > 0) Assert.That(keys, Does.Contain($"{t[1]};{t[2]};{t[3]};{t[4]};"), label);
            if (t[3].Length > 0) Assert.That(keys, Does.Contain($"{t[1]};{t[2]};{t[3]};;"), label);
            if (t[2].Length > 0) Assert.That(keys, Does.Contain($"{t[1]};{t[2]};;;"), label);
            if (t[1].Length > 0) Assert.That(keys, Does.Contain($"{t[1]};;;;"), label);
        }
    }

    [Test]
    public void GeofenceJson_KeysAreFiveTokenTaxa()
    {
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetBytes(DemoLabels.GeofenceJson));

        foreach (var entry in doc.RootElement.EnumerateObject())
            Assert.That(entry.Name.Split(';'), Has.Length.EqualTo(5), entry.Name);
        Assert.That(doc.RootElement.GetProperty("mammalia;carnivora;felidae;lynx;rufus").GetProperty("allow").GetProperty("USA")[0].GetString(), Is.EqualTo("NY"));
    }

    [Test]
    public void DemoColours_Prototypes_AreFarEnoughApartForJpegNoise()
    {
        var all = DemoColours.All;
        for (var i = 0; i < all.Count; i++)
        for (var j = i + 1; j < all.Count; j++)
        {
            var (a, b) = (all[i].Unit, all[j].Unit);
            var d = MathF.Sqrt((a.R - b.R) * (a.R - b.R) + (a.G - b.G) * (a.G - b.G) + (a.B - b.B) * (a.B - b.B));
            Assert.That(d, Is.GreaterThan(0.24f), $"{all[i].Name} / {all[j].Name}");
        }
    }

    [Test]
    public void DemoColours_EveryEntry_IsAValidDistribution()
    {
        foreach (var colour in DemoColours.All)
        {
            var distribution = DemoClassifierModel.Distribution(colour);
            Assert.That(distribution.Sum(), Is.EqualTo(1f).Within(1e-5), colour.Name);
        }
    }

    [Test]
    public void DemoColours_NeutralColours_HaveNoDetection()
    {
        foreach (var colour in new[] { DemoColours.Black, DemoColours.DarkGrey, DemoColours.Grey, DemoColours.LightGrey, DemoColours.White })
            Assert.That(colour.Detection, Is.Null, colour.Name);
        Assert.That(DemoColours.Red.Detection, Is.EqualTo(new DemoDetection("animal", 0, DemoColours.Red.Detection!.Confidence)));
        Assert.That(DemoColours.Green.Detection!.Label, Is.EqualTo("human"));
        Assert.That(DemoColours.Blue.Detection!.Label, Is.EqualTo("vehicle"));
    }
}
