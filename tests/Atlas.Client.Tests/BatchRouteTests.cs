using System.Text.Json;
using Atlas.Client.Tests.Infrastructure;
using SkiaSharp;

namespace Atlas.Client.Tests;

/// <summary>The /v1 routes (batch predictions, ensemble only, render) called through the generated C# SDK on Kestrel.</summary>
[TestFixture]
public sealed class BatchRouteTests
{
    private AtlasServer _server = null!;
    private AtlasClient _atlas = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await AtlasServer.StartAsync(new Dictionary<string, string?>());
        (_atlas, _http) = _server.CreateAtlasClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static FileParameter Image(string name, SKColor colour) =>
        new(new MemoryStream(TestImages.Solid(320, 240, colour, SKEncodedImageFormat.Jpeg, 90)), name, "image/jpeg");

    [Test]
    public async Task PredictBatch_returns_one_result_per_image_in_order_with_failures_kept()
    {
        var files = new[]
        {
            Image("b.jpg", new SKColor(200, 120, 40)),
            new FileParameter(new MemoryStream("not an image"u8.ToArray()), "notes.txt", "text/plain"),
            Image("a.jpg", new SKColor(40, 160, 40)),
        };

        var answer = (JsonElement)await _atlas.PredictBatchAsync(format: Format.Speciesnet, country: "KEN", files: files);

        var predictions = answer.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(predictions.Select(p => p.GetProperty("filepath").GetString()), Is.EqualTo(new[] { "b.jpg", "notes.txt", "a.jpg" }));
        Assert.That(predictions[1].GetProperty("failures").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "CLASSIFIER", "DETECTOR" }));
        Assert.That(predictions[0].GetProperty("country").GetString(), Is.EqualTo("KEN"));
        Assert.That(predictions[0].TryGetProperty("prediction", out _), Is.True);
    }

    [Test]
    public async Task PredictBatch_in_megadetector_format_says_version_1_6()
    {
        var answer = (JsonElement)await _atlas.PredictBatchAsync(format: Format.Megadetector, mode: Mode.Detector,
            files: [Image("x.jpg", new SKColor(200, 120, 40))]);

        Assert.That(answer.GetProperty("info").GetProperty("format_version").GetString(), Is.EqualTo("1.6"));
        Assert.That(answer.GetProperty("images")[0].GetProperty("file").GetString(), Is.EqualTo("x.jpg"));
    }

    [Test]
    public async Task RunEnsemble_on_a_batch_result_reproduces_its_prediction()
    {
        var batch = (JsonElement)await _atlas.PredictBatchAsync(files: [Image("x.jpg", new SKColor(200, 120, 40))]);
        var request = JsonSerializer.Deserialize<EnsembleRequest>(batch.GetRawText())!;

        var answer = (JsonElement)await _atlas.RunEnsembleAsync(request);

        var before = batch.GetProperty("predictions")[0];
        var after = answer.GetProperty("predictions")[0];
        Assert.That(after.GetProperty("prediction").GetString(), Is.EqualTo(before.GetProperty("prediction").GetString()));
        Assert.That(after.GetProperty("prediction_source").GetString(), Is.EqualTo(before.GetProperty("prediction_source").GetString()));
    }

    [Test]
    public async Task RunEnsemble_with_an_invalid_entry_is_a_typed_validation_problem()
    {
        var request = new EnsembleRequest { Predictions = [new EnsembleInstanceDto { Filepath = "a.jpg", Classifications = new ClassificationsDto { Classes = ["x"], Scores = [] } }] };

        var error = Assert.ThrowsAsync<AtlasApiException<ValidationProblemDetails>>(() => _atlas.RunEnsembleAsync(request));

        Assert.That(error!.StatusCode, Is.EqualTo(400));
        Assert.That(error.Result.Errors.Keys, Is.Not.Empty);
    }

    [Test]
    public async Task RenderImage_returns_a_jpeg_of_the_image_size()
    {
        using var response = await _atlas.RenderImageAsync(file: Image("x.jpg", new SKColor(200, 120, 40)));
        using var copy = new MemoryStream();
        await response.Stream.CopyToAsync(copy);

        using var bitmap = SKBitmap.Decode(copy.ToArray());
        Assert.That(bitmap, Is.Not.Null);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((320, 240)));
    }
}
