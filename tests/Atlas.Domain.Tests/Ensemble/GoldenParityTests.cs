using System.Text.Json;
using Atlas.Domain.Ensemble;
using Atlas.Domain.Geofencing;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests.Ensemble;

/// <summary>
/// Parity with the reference SpeciesNet v4.0.0a ensemble: every golden entry's raw classifier top 5, top
/// detections and location must give exactly the reference prediction, score and source. The taxonomy is built
/// from the 2,498 classifier labels (a subset of the real taxonomy that covers these vectors); the full geofence
/// release is not in ../shared, and none of the golden images is geofenced, so the geofence is empty.
/// </summary>
public sealed class GoldenParityTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void Combine_GoldenVectors_MatchReferenceExactly(bool geofenceEnabled)
    {
        var taxonomy = SpeciesTaxonomy.Load(SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt"));
        var ensemble = new SpeciesNetEnsemble(taxonomy, Geofence.Empty, geofenceEnabled);
        using var golden = JsonDocument.Parse(File.ReadAllBytes(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json")));

        var entries = golden.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries, Has.Count.GreaterThanOrEqualTo(10));
        Assert.Multiple(() =>
        {
            foreach (var entry in entries)
            {
                var name = entry.GetProperty("filepath").GetString();
                var result = ensemble.Combine(Classifications(entry), Detections(entry), OptionalString(entry, "country"), OptionalString(entry, "admin1_region"));

                var expected = new EnsembleResult(
                    entry.GetProperty("prediction").GetString()!,
                    entry.GetProperty("prediction_score").GetDouble(),
                    entry.GetProperty("prediction_source").GetString()!);
                Assert.That(result, Is.EqualTo(expected), name);
            }
        });
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Combine_ParsedLabels_SameAnswersAsLabelStrings(bool geofenceEnabled)
    {
        // The engine hands the ensemble its bundle's parsed labels; the ensemble route hands it strings.
        var taxonomy = SpeciesTaxonomy.Load(SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt"));
        var ensemble = new SpeciesNetEnsemble(taxonomy, Geofence.Empty, geofenceEnabled);
        using var golden = JsonDocument.Parse(File.ReadAllBytes(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json")));

        Assert.Multiple(() =>
        {
            foreach (var entry in golden.RootElement.GetProperty("predictions").EnumerateArray())
            {
                var classifications = Classifications(entry);
                var (detections, country, admin1) = (Detections(entry), OptionalString(entry, "country"), OptionalString(entry, "admin1_region"));
                var fromStrings = ensemble.Combine(classifications, detections, country, admin1);

                var fromLabels = ensemble.Combine([.. classifications.Classes.Select(SpeciesLabel.Parse)], classifications.Scores, detections, country, admin1);

                Assert.That(fromLabels, Is.EqualTo(fromStrings), entry.GetProperty("filepath").GetString());
            }
        });
    }

    [Test]
    public void GoldenVectors_EveryClassIsAKnownLabel()
    {
        var labels = ClassifierLabels.Load(SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt")).Select(l => l.Raw).ToHashSet();
        using var golden = JsonDocument.Parse(File.ReadAllBytes(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json")));

        var classes = golden.RootElement.GetProperty("predictions").EnumerateArray().SelectMany(e => Classifications(e).Classes).ToList();

        Assert.That(classes, Is.Not.Empty.And.All.Matches<string>(labels.Contains));
    }

    private static Classifications Classifications(JsonElement entry)
    {
        var c = entry.GetProperty("classifications");
        return new(
            [.. c.GetProperty("classes").EnumerateArray().Select(x => x.GetString()!)],
            [.. c.GetProperty("scores").EnumerateArray().Select(x => x.GetDouble())]);
    }

    private static Detection[] Detections(JsonElement entry) =>
        entry.TryGetProperty("top_detections", out var dets) && dets.ValueKind == JsonValueKind.Array
            ? [.. dets.EnumerateArray().Select(d => new Detection(
                d.GetProperty("category").GetString()!,
                d.GetProperty("label").GetString()!,
                d.GetProperty("conf").GetDouble(),
                [.. d.GetProperty("bbox").EnumerateArray().Select(x => x.GetDouble())]))]
            : [];

    private static string? OptionalString(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
