using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// A bundle written by the test with the real 2,498 SpeciesNet v4.0.0a labels (../shared/speciesnet) and a
/// classifier of output width 2,498 built in code: a linear map of the crop's mean colour that makes red an
/// african elephant and orange a lion (both are animal boxes for the demo detector). Proves the engine handles a
/// full-size label set end to end: 7-field predictions, display names, info.json version, geofence roll-up, and
/// the geofence roll-up failure that the demo labels cannot reach.
/// </summary>
[TestFixture]
public sealed class RealLabelsBundleEndToEndTests
{
    private const string Version = "4.0.0a-atlas-test";
    private const string UnknownLabel = "f2efdae9-efb8-48fb-8a91-eccf79ab4ffb;no cv result;no cv result;no cv result;no cv result;no cv result;no cv result";

    private TestBundle _bundle = null!;
    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;
    private string[] _labels = null!;
    private string _elephant = null!;
    private string _lion = null!;
    private string _catFamily = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _labels = (await File.ReadAllLinesAsync(SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt"))).Where(l => l.Length > 0).ToArray();
        Assert.That(_labels, Has.Length.EqualTo(2498));
        _elephant = _labels.Single(l => l.EndsWith(";loxodonta;africana;african elephant", StringComparison.Ordinal));
        _lion = _labels.Single(l => l.EndsWith(";panthera;leo;lion", StringComparison.Ordinal));
        _catFamily = _labels.Single(l => l.EndsWith(";mammalia;carnivora;felidae;;;cat family", StringComparison.Ordinal));

        // logits = mean(r, g, b) . W: elephant = 20r - 40g - 20b (red: 20), lion = 40g (orange: 20.1, red: 0).
        var classifier = TestModels.ColourClassifier(_labels.Length, new Dictionary<int, (float, float, float)>
        {
            [Array.IndexOf(_labels, _elephant)] = (20f, -40f, -20f),
            [Array.IndexOf(_labels, _lion)] = (0f, 40f, 0f),
        });
        // Lion is blocked in the USA (spec 1.4 shape). In GBR the lion and every ancestor up to the kingdom are
        // blocked, so the geofence roll-up has nowhere to go.
        const string geofence = """
            {
              "mammalia;carnivora;felidae;panthera;leo": {"block": {"USA": [], "GBR": []}},
              "mammalia;carnivora;felidae;;": {"block": {"GBR": []}},
              "mammalia;carnivora;;;": {"block": {"GBR": []}},
              "mammalia;;;;": {"block": {"GBR": []}},
              ";;;;": {"block": {"GBR": []}}
            }
            """;
        var labelsText = TestBundle.Utf8(string.Join('\n', _labels) + "\n");
        _bundle = TestBundle.Write(new Dictionary<string, byte[]?>
        {
            ["info.json"] = TestBundle.InfoJson(version: Version, classifier: "classifier_2498.onnx", labels: "labels.txt", detector: "md_demo.onnx",
                taxonomy: "taxonomy.txt", geofence: "geofence.json"),
            ["labels.txt"] = labelsText,
            ["taxonomy.txt"] = labelsText,
            ["geofence.json"] = TestBundle.Utf8(geofence),
            ["md_demo.onnx"] = DemoDetectorModel.Build(),
            ["classifier_2498.onnx"] = classifier,
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

    private static byte[] Picture(DemoColour colour) => TestImages.OpaqueSolid(1280, 960, colour.Rgb());

    [Test]
    public async Task UploadFile_RedPicture_AfricanElephantWithCommonNameAndBundleVersion()
    {
        var s = await EngineHarness.PredictAsync(_client, Picture(DemoColours.Red));

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(_elephant));
        Assert.That(s.GetProperty("prediction_display_name").GetString(), Is.EqualTo("african elephant"));
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo("classifier"));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.GreaterThan(0.8));
        Assert.That(s.GetProperty("model_version").GetString(), Is.EqualTo(Version));
        var top = s.GetProperty("top_classes");
        Assert.That(top.GetArrayLength(), Is.EqualTo(5));
        Assert.That(top[0].GetProperty("label_raw").GetString(), Is.EqualTo(_elephant));
        Assert.That(top.EnumerateArray().Select(t => t.GetProperty("label_raw").GetString()), Is.All.AnyOf(_labels));
    }

    [Test]
    public async Task UploadFile_OrangePictureNoCountry_Lion()
    {
        var s = await EngineHarness.PredictAsync(_client, Picture(DemoColours.Orange));

        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(_lion));
        Assert.That(s.GetProperty("prediction_display_name").GetString(), Is.EqualTo("lion"));
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo("classifier"));
    }

    [Test]
    public async Task UploadFile_OrangePictureInUsa_LionGeofencedRollsUpToCatFamily()
    {
        var s = await EngineHarness.PredictAsync(_client, Picture(DemoColours.Orange), country: "USA", admin1: "CA");

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(_catFamily));
        Assert.That(s.GetProperty("prediction_display_name").GetString(), Is.EqualTo("cat family"));
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo("classifier+geofence+rollup_to_family"));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.GreaterThan(0.8));
        Assert.That(s.GetProperty("classifications").GetProperty("classes")[0].GetString(), Is.EqualTo(_lion));
    }

    [Test]
    public async Task UploadFile_OrangePictureInGbr_EveryAncestorBlocked_RollupFailed()
    {
        var s = await EngineHarness.PredictAsync(_client, Picture(DemoColours.Orange), country: "GBR");

        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(UnknownLabel));
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo("classifier+geofence+rollup_failed"));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.GreaterThan(0.8), "R4's S[0] is kept");
    }
}
