using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Api.Tests.EndToEnd;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;

namespace Atlas.Api.Tests.Batch;

/// <summary>
/// <c>POST /v1/ensemble</c> over real HTTP, on a bundle whose labels and taxonomy are the real 2,498 SpeciesNet v4.0.0a
/// labels (../shared/speciesnet): every golden vector's classifications and top detections, sent as SpeciesNet JSON,
/// must come back with exactly the reference prediction, score and source; the answer validates as spec 5.1 and,
/// converted, as MegaDetector 1.6; bad instances answer 400 naming the field.
/// </summary>
[TestFixture]
public sealed class EnsembleRouteTests
{
    private TestBundle _bundle = null!;
    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var labels = (await File.ReadAllLinesAsync(SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt"))).Where(l => l.Length > 0).ToArray();
        var labelsText = TestBundle.Utf8(string.Join('\n', labels) + "\n");
        _bundle = TestBundle.Write(new Dictionary<string, byte[]?>
        {
            ["info.json"] = TestBundle.InfoJson(version: "4.0.0a", classifier: "classifier.onnx", labels: "labels.txt", detector: "md.onnx", taxonomy: "taxonomy.txt", geofence: "geofence.json"),
            ["geofence.json"] = TestBundle.Utf8("{}"),
            ["labels.txt"] = labelsText,
            ["taxonomy.txt"] = labelsText,
            ["md.onnx"] = DemoDetectorModel.Build(),
            ["classifier.onnx"] = TestModels.ColourClassifier(labels.Length, new Dictionary<int, (float, float, float)>()),
        });
        (_factory, _client) = await EngineHarness.StartAsync(_bundle.Directory);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        _bundle?.Dispose();
    }

    /// <summary>The golden file as an ensemble request: its top detections become SpeciesNet detections.</summary>
    private static (JsonObject Request, JsonArray Golden) GoldenRequest()
    {
        var golden = JsonNode.Parse(File.ReadAllText(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json")))!["predictions"]!.AsArray();
        var instances = new JsonArray();
        foreach (var entry in golden)
        {
            var instance = new JsonObject { ["filepath"] = entry!["filepath"]!.GetValue<string>() };
            foreach (var key in new[] { "country", "admin1_region", "latitude", "longitude" })
            {
                if (entry[key] is { } value) instance[key] = value.DeepClone();
            }
            instance["classifications"] = entry["classifications"]!.DeepClone();
            instance["detections"] = (entry["top_detections"] ?? new JsonArray()).DeepClone();
            instances.Add(instance);
        }
        return (new JsonObject { ["predictions"] = instances }, golden);
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string json, string query = "")
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(new Uri("/v1/ensemble" + query, UriKind.Relative), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task GoldenVectors_EveryPredictionScoreAndSourceExact()
    {
        var (request, golden) = GoldenRequest();
        Assert.That(golden, Has.Count.GreaterThanOrEqualTo(10));
        var (status, body) = await PostAsync(request.ToJsonString());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries, Has.Count.EqualTo(golden.Count));
        Assert.Multiple(() =>
        {
            for (var i = 0; i < golden.Count; i++)
            {
                var expected = golden[i]!;
                var name = expected["filepath"]!.GetValue<string>();
                Assert.That(entries[i].GetProperty("filepath").GetString(), Is.EqualTo(name));
                Assert.That(entries[i].GetProperty("prediction").GetString(), Is.EqualTo(expected["prediction"]!.GetValue<string>()), name);
                Assert.That(entries[i].GetProperty("prediction_score").GetDouble(), Is.EqualTo(expected["prediction_score"]!.GetValue<double>()), name);
                Assert.That(entries[i].GetProperty("prediction_source").GetString(), Is.EqualTo(expected["prediction_source"]!.GetValue<string>()), name);
                Assert.That(entries[i].GetProperty("model_version").GetString(), Is.EqualTo("4.0.0a"));
            }
        });
    }

    [Test]
    public async Task GoldenVectors_MegaDetectorAndCsvFormats_Valid()
    {
        var (request, golden) = GoldenRequest();
        var (status, body) = await PostAsync(request.ToJsonString(), "?format=megadetector");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body);
        Assert.That(json.RootElement.GetProperty("images").GetArrayLength(), Is.EqualTo(golden.Count));
        // The elephant image's boxes all carry the elephant class, named by its common name.
        var classes = json.RootElement.GetProperty("classification_categories").EnumerateObject().Select(p => p.Value.GetString()).ToList();
        Assert.That(classes, Does.Contain("african elephant"));

        var (csvStatus, csvBody) = await PostAsync(request.ToJsonString(), "?format=csv");
        Assert.That(csvStatus, Is.EqualTo(HttpStatusCode.OK), csvBody);
        var rows = FormatValidators.Csv(csvBody);
        Assert.That(rows, Has.Count.EqualTo(golden.Count + 1));
        Assert.That(rows.Skip(1).Select(r => r[0]), Is.EqualTo(golden.Select(g => g!["filepath"]!.GetValue<string>())));
    }

    [Test]
    public async Task MissingComponents_BecomeFailures_AndOverrideCountry()
    {
        var (request, _) = GoldenRequest();
        var first = request["predictions"]![0]!.AsObject();
        var noDetections = first.DeepClone().AsObject();
        noDetections.Remove("detections");
        noDetections["filepath"] = "no-detections.jpg";
        var noClassifications = first.DeepClone().AsObject();
        noClassifications.Remove("classifications");
        noClassifications["filepath"] = "no-classifications.jpg";
        var body = new JsonObject { ["predictions"] = new JsonArray(noDetections, noClassifications), ["country"] = "usa", ["admin1_region"] = "ca" };
        var (status, text) = await PostAsync(body.ToJsonString());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), text);
        using var json = JsonDocument.Parse(text);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, text);
        var e = json.RootElement.GetProperty("predictions");
        Assert.That(e[0].GetProperty("failures")[0].GetString(), Is.EqualTo("DETECTOR"));
        Assert.That(e[1].GetProperty("failures")[0].GetString(), Is.EqualTo("CLASSIFIER"));
        Assert.That(e[0].GetProperty("country").GetString(), Is.EqualTo("USA"));
        Assert.That(e[0].GetProperty("admin1_region").GetString(), Is.EqualTo("CA"));
        Assert.That(e[0].GetProperty("location_source").GetString(), Is.EqualTo("request"));
    }

    [TestCase("""{"predictions": []}""", "predictions")]
    [TestCase("""{"predictions": [{"classifications": {"classes": ["a;b;c;d;e;f;g"], "scores": [0.5]}, "detections": []}]}""", "predictions[0].filepath")]
    [TestCase("""{"predictions": [{"filepath": "a", "classifications": {"classes": ["not a label"], "scores": [0.5]}, "detections": []}]}""", "predictions[0].classifications.classes[0]")]
    [TestCase("""{"predictions": [{"filepath": "a", "classifications": {"classes": ["a;b;c;d;e;f;g"], "scores": [1.5]}, "detections": []}]}""", "predictions[0].classifications.scores[0]")]
    [TestCase("""{"predictions": [{"filepath": "a", "classifications": {"classes": ["a;b;c;d;e;f;g"], "scores": [0.5]}, "detections": [{"category": "1", "label": "dog", "conf": 0.5, "bbox": [0, 0, 1, 1]}]}]}""", "predictions[0].detections[0].label")]
    [TestCase("""{"predictions": [{"filepath": "a", "country": "Kenya"}]}""", "predictions[0].country")]
    public async Task BadInstances_400NamingTheField(string body, string field)
    {
        var (status, text) = await PostAsync(body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), text);
        using var json = JsonDocument.Parse(text);
        Assert.That(json.RootElement.GetProperty("errors").TryGetProperty(field, out _), Is.True, text);
    }
}
