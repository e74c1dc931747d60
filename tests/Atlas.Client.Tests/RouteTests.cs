using Atlas.Client.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;
using SkiaSharp;

namespace Atlas.Client.Tests;

/// <summary>
/// Every route of the OpenAPI document called through the generated C# SDK against the real service on Kestrel
/// (loopback), with the real SpeciesNet engine on the demo bundle and the fake Gemini server over real sockets.
/// </summary>
[TestFixture]
public sealed class RouteTests
{
    private FakeGeminiServer _gemini = null!;
    private AtlasServer _server = null!;
    private AtlasClient _atlas = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _gemini = await FakeGeminiServer.StartAsync();
        _server = await AtlasServer.StartAsync(_gemini.Settings("test-gemini-key"));
        (_atlas, _http) = _server.CreateAtlasClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _gemini.DisposeAsync();
    }

    [SetUp]
    public void ResetGemini() => _gemini.Reset();

    [Test]
    public async Task GetServiceInfo_lists_the_seed_routes_and_the_demo_bundle()
    {
        var info = await _atlas.GetServiceInfoAsync();

        Assert.That(info.Service, Is.Not.Empty);
        Assert.That(info.ModelVersion, Is.EqualTo(DemoBundle.Version));
        Assert.That(info.Model.Demo, Is.True);
        Assert.That(info.Model.Ready, Is.True);
        Assert.That(info.Model.Warning, Does.Contain("SPECIESNET_MODEL_DIR"));
        Assert.That(info.Routes.Select(r => r.Path), Is.SupersetOf(new[] { "/uploadfile/", "/analyze/", "/gemini/analyze/", "/healthz", "/livez" }));
    }

    [Test]
    public async Task GetHealth_reports_each_check()
    {
        var health = await _atlas.GetHealthAsync();

        Assert.That(health.Status, Is.Not.Empty);
        Assert.That(health.Checks, Is.Not.Empty);
        Assert.That(health.Checks.Values.Select(c => c.Status), Has.None.Null);
    }

    [Test]
    public async Task GetLiveness_is_alive()
    {
        var liveness = await _atlas.GetLivenessAsync();

        Assert.That(liveness.Status, Is.EqualTo("alive"));
    }

    [Test]
    public async Task GetMetrics_returns_the_prometheus_text()
    {
        await _atlas.GetLivenessAsync();

        var metrics = await _atlas.GetMetricsAsync();

        Assert.That(metrics, Does.Contain("# TYPE"));
    }

    [Test]
    public async Task UploadFile_classifies_one_image_with_its_location()
    {
        var png = TestImages.Solid(640, 480, new SKColor(128, 128, 128), SKEncodedImageFormat.Png, 90);

        var result = await _atlas.UploadFileAsync(Pictures.File(png, "grey.png", "image/png"), "usa", "CA", 37.77, -122.42);

        Assert.That(result.Filename, Is.EqualTo("grey.png"));
        Assert.That(result.ContentSize, Is.EqualTo(png.Length));
        var s = result.Speciesnet;
        Assert.That(s.ModelVersion, Is.EqualTo(DemoBundle.Version));
        Assert.That(s.Prediction, Is.Not.Null.And.Not.Empty);
        Assert.That(s.PredictionScore, Is.InRange(0.0, 1.0));
        Assert.That(s.Failures, Is.Empty);
        Assert.That(s.Country, Is.EqualTo("USA"));
        Assert.That(s.Admin1Region, Is.EqualTo("CA"));
        Assert.That(s.Latitude, Is.EqualTo(37.77));
        Assert.That(s.Longitude, Is.EqualTo(-122.42));
        Assert.That(s.TopClasses, Is.Not.Empty);
        Assert.That(s.Classifications!.Classes, Has.Count.EqualTo(s.Classifications.Scores.Count));
    }

    [Test]
    public async Task Analyze_returns_the_prediction_with_the_prompt()
    {
        var jpeg = TestImages.Solid(320, 240, new SKColor(40, 160, 40), SKEncodedImageFormat.Jpeg, 90);

        var result = await _atlas.AnalyzeAsync("what is this?", Pictures.File(jpeg, "green.jpg", "image/jpeg"));

        Assert.That(result.Prompt, Is.EqualTo("what is this?"));
        Assert.That(result.Filename, Is.EqualTo("green.jpg"));
        Assert.That(result.ContentSize, Is.EqualTo(jpeg.Length));
        Assert.That(result.Speciesnet.ModelVersion, Is.EqualTo(DemoBundle.Version));
        Assert.That(result.Speciesnet.Country, Is.Null);
    }

    [Test]
    public async Task GeminiAnalyze_uploads_several_files_and_groups_their_answers()
    {
        var images = new[]
        {
            Pictures.File(TestImages.Solid(64, 64, SKColors.Red, SKEncodedImageFormat.Png, 90), "a.png", "image/png"),
            Pictures.File(TestImages.Solid(64, 64, SKColors.Blue, SKEncodedImageFormat.Jpeg, 90), "b.jpg", "image/jpeg"),
            Pictures.File(TestImages.Solid(64, 64, SKColors.Green, SKEncodedImageFormat.Webp, 90), "c.webp", "image/webp"),
        };

        var result = await _atlas.GeminiAnalyzeAsync("Which animal?", images);

        Assert.That(_gemini.Requests, Has.Count.EqualTo(3), "one Gemini call per image");
        Assert.That(result.Prompt, Is.EqualTo("Which animal?"));
        Assert.That(result.Images.Select(i => i.Filename), Is.EqualTo(new[] { "a.png", "b.jpg", "c.webp" }));
        Assert.That(result.Images.Select(i => i.MediaType), Is.EqualTo(new[] { "image/png", "image/jpeg", "image/webp" }));
        Assert.That(result.Images.Select(i => i.Status), Is.All.EqualTo("ok"));
        Assert.That(result.Images.Select(i => i.Error), Is.All.Null);
        var group = result.Groups.Single();
        Assert.That(group.Label, Is.EqualTo("fox"));
        Assert.That(group.Count, Is.EqualTo(3));
        Assert.That(group.ImageIndexes, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(result.Metadata.ImageCount, Is.EqualTo(3));
        Assert.That(result.Metadata.Succeeded, Is.EqualTo(3));
        Assert.That(result.Metadata.Failed, Is.Zero);
        Assert.That(result.Metadata.Model, Is.EqualTo("gemini-test"));
    }

    [Test]
    public async Task GeminiAnalyze_with_a_schema_returns_answers_that_follow_it()
    {
        _gemini.Fallback = FakeGeminiServer.Success("""{"species":"deer","count":2}""");
        const string schema = """{"type":"object","properties":{"species":{"type":"string"},"count":{"type":"integer"}},"required":["species","count"]}""";

        var result = await _atlas.GeminiAnalyzeAsync("Count them", [Pictures.File(TestImages.Solid(64, 64, SKColors.Brown, SKEncodedImageFormat.Png, 90), "d.png", "image/png")], schema);

        var image = result.Images.Single();
        Assert.That(image.Status, Is.EqualTo("ok"));
        Assert.That(image.Response, Is.Not.Null);
        Assert.That(image.Response!.ToString(), Does.Contain("deer"));
    }

    [Test]
    public async Task Readme_example_runs_as_written()
    {
        // The README's C# example, with in-memory images instead of files.
        using var http = new HttpClient();
        var atlas = new AtlasClient(_server.BaseUrl.ToString(), http);
        await using var image = new MemoryStream(TestImages.Solid(128, 128, SKColors.Orange, SKEncodedImageFormat.Jpeg, 90));
        var result = await atlas.UploadFileAsync(new FileParameter(image, "fox.jpg", "image/jpeg"), country: "USA");
        Assert.That(result.Speciesnet.PredictionDisplayName, Is.Not.Null);
        var gemini = await atlas.GeminiAnalyzeAsync("Which animal?", [new FileParameter(new MemoryStream(TestImages.Solid(32, 32, SKColors.Red, SKEncodedImageFormat.Jpeg, 90)), "a.jpg", "image/jpeg"),
                                                                       new FileParameter(new MemoryStream(TestImages.Solid(32, 32, SKColors.Blue, SKEncodedImageFormat.Png, 90)), "b.png", "image/png")]);
        Assert.That(gemini.Groups.Single().Filenames, Is.EqualTo(new[] { "a.jpg", "b.png" }));
    }
}
