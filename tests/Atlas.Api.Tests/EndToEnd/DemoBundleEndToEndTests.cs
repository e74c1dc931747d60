using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// The real engine on the embedded demo bundle, through HTTP: every row of the colour table (docs/design/onnx-and-demo-bundle.md),
/// so every ensemble rule of spec 4 that the demo labels can reach is reached through /uploadfile/; the geofenced
/// rows; the reference images; and bad input. One server for the whole fixture.
/// </summary>
[TestFixture]
public sealed class DemoBundleEndToEndTests
{
    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => (_factory, _client) = await EngineHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> Colours() =>
        DemoColours.All.Select(c => new TestCaseData(c.Name).SetArgDisplayNames(c.Name.Replace(' ', '_')));

    /// <summary>
    /// Saturated colours: one 64x64 cell-aligned square on grey, so the detector finds exactly one box and the
    /// classifier crop is that flat square. Neutral colours have no box, so the classifier sees the full image:
    /// those are solid pictures.
    /// </summary>
    private static byte[] PictureOf(DemoColour colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        colour.Detection is null
            ? TestImages.OpaqueSolid(1280, 960, colour.Rgb(), format)
            : TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), colour.Rgb(), new SKRectI(640, 448, 704, 512), format);

    private static void AssertTableRow(JsonElement s, DemoColour colour, double tolerance)
    {
        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(colour.ExpectedLabel), colour.Rule);
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo(colour.ExpectedSource), colour.Rule);
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.EqualTo(colour.ExpectedScore).Within(tolerance), colour.Rule);
        Assert.That(s.GetProperty("model_version").GetString(), Is.EqualTo(DemoBundle.Version));
        var classes = s.GetProperty("classifications").GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.That(classes, Is.EqualTo(colour.Top5.Select(t => t.Label)));
        var scores = s.GetProperty("classifications").GetProperty("scores").EnumerateArray().Select(c => c.GetDouble()).ToArray();
        Assert.That(scores, Is.EqualTo(colour.Top5.Select(t => (double)t.Score)).Within(tolerance));
    }

    [Test]
    public async Task Metrics_OnePrediction_CountsEachStageOnce()
    {
        var before = await StageCountsAsync();

        await EngineHarness.PredictAsync(_client, PictureOf(DemoColours.Red));

        var after = await StageCountsAsync();
        foreach (var stage in new[] { "decode", "detect", "classify", "ensemble" })
        {
            Assert.That(after.GetValueOrDefault(stage) - before.GetValueOrDefault(stage), Is.EqualTo(1), stage);
        }
    }

    /// <summary>The <c>atlas_inference_stage_duration_seconds_count</c> of each stage on <c>/metrics</c> now.</summary>
    private async Task<Dictionary<string, long>> StageCountsAsync()
    {
        var counts = new Dictionary<string, long>();
        foreach (var line in (await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n'))
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, "^atlas_inference_stage_duration_seconds_count\\{stage=\"([a-z]+)\"\\} ([0-9]+)$");
            if (match.Success) counts[match.Groups[1].Value] = long.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }

    [TestCaseSource(nameof(Colours))]
    public async Task UploadFile_ColourTableRowPng_MatchesTable(string name)
    {
        var colour = DemoColours.ByName(name);

        var s = await EngineHarness.PredictAsync(_client, PictureOf(colour));

        AssertTableRow(s, colour, 1e-4);
        var detections = s.GetProperty("detections");
        if (colour.Detection is { } expected)
        {
            Assert.That(detections.GetArrayLength(), Is.EqualTo(1));
            var d = detections[0];
            Assert.That(d.GetProperty("label").GetString(), Is.EqualTo(expected.Label));
            Assert.That(d.GetProperty("conf").GetDouble(), Is.EqualTo(expected.Confidence).Within(1e-4));
            var bbox = d.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.That(bbox, Is.EqualTo(new[] { 640.0 / 1280, 448.0 / 960, 64.0 / 1280, 64.0 / 960 }).Within(1e-4));
        }
        else
        {
            Assert.That(detections.GetArrayLength(), Is.Zero);
        }
    }

    [TestCaseSource(nameof(Colours))]
    public async Task UploadFile_ColourTableRowJpeg_MatchesTableWithinJpegNoise(string name)
    {
        var colour = DemoColours.ByName(name);

        var s = await EngineHarness.PredictAsync(_client, PictureOf(colour, SKEncodedImageFormat.Jpeg), "image/jpeg", "picture.jpg");

        // A level or two of JPEG error moves the demo detector's conf (steep sigmoid) by up to ~1e-2.
        AssertTableRow(s, colour, 1.5e-2);
    }

    private static IEnumerable<TestCaseData> GeofenceRows()
    {
        yield return new TestCaseData("red", "USA", null, DemoLabels.Felidae, "classifier+geofence+rollup_to_family", 0.975).SetArgDisplayNames("red_USA");
        yield return new TestCaseData("red", "USA", "CA", DemoLabels.Felidae, "classifier+geofence+rollup_to_family", 0.975).SetArgDisplayNames("red_USA_CA");
        yield return new TestCaseData("red", "GBR", null, DemoLabels.Lion, "classifier", 0.9).SetArgDisplayNames("red_GBR");
        yield return new TestCaseData("crimson", "USA", "NY", DemoLabels.Bobcat, "classifier", 0.88).SetArgDisplayNames("crimson_USA_NY");
        yield return new TestCaseData("crimson", "USA", null, DemoLabels.Bobcat, "classifier", 0.88).SetArgDisplayNames("crimson_USA");
        yield return new TestCaseData("crimson", "USA", "CA", DemoLabels.Felidae, "classifier+geofence+rollup_to_family", 0.96).SetArgDisplayNames("crimson_USA_CA");
        yield return new TestCaseData("crimson", "GBR", null, DemoLabels.Felidae, "classifier+geofence+rollup_to_family", 0.96).SetArgDisplayNames("crimson_GBR");
    }

    [TestCaseSource(nameof(GeofenceRows))]
    public async Task UploadFile_GeofencedRow_AppliesCountryAndAdmin1(string name, string country, string? admin1, string prediction, string source, double score)
    {
        var colour = DemoColours.ByName(name);

        var s = await EngineHarness.PredictAsync(_client, PictureOf(colour), country: country, admin1: admin1);

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(prediction));
        Assert.That(s.GetProperty("prediction_source").GetString(), Is.EqualTo(source));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.EqualTo(score).Within(1e-4));
        Assert.That(s.GetProperty("country").GetString(), Is.EqualTo(country));
        Assert.That(s.GetProperty("admin1_region").ValueKind == JsonValueKind.Null ? null : s.GetProperty("admin1_region").GetString(), Is.EqualTo(admin1));
        // Geofencing changes the prediction only; the classifier's raw top 5 is reported unchanged.
        Assert.That(s.GetProperty("classifications").GetProperty("classes")[0].GetString(), Is.EqualTo(colour.Top5[0].Label));
    }

    [Test]
    public async Task Analyze_RealEngine_EchoesPromptWithPrediction()
    {
        using var form = Multipart.File(PictureOf(DemoColours.Red), "red.png", "image/png").With("prompt", "what is it?");

        using var response = await _client.PostAsync(new Uri("/analyze/", UriKind.Relative), form);

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("prompt").GetString(), Is.EqualTo("what is it?"));
        Assert.That(json.RootElement.GetProperty("speciesnet").GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Lion));
    }

    private static IEnumerable<TestCaseData> ReferenceImages() =>
        new[]
        {
            "african_elephants.jpg", "african_elephants_bw.jpg", "african_elephants_cmyk.jpg", "african_elephants_truncated_file.jpg",
            "african_elephants_with_exif_orientation.jpg", "american_black_bear.jpg", "blank.jpg", "blank2.jpg", "domestic_cattle.jpg",
            "human.jpg", "vehicle.jpg",
        }.Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    [TestCaseSource(nameof(ReferenceImages))]
    public async Task UploadFile_ReferenceImage_WellFormedAnswer(string file)
    {
        var bytes = await File.ReadAllBytesAsync(SharedData.RequireFile("images", file));

        var s = await EngineHarness.PredictAsync(_client, bytes, "image/jpeg", file);

        EngineHarness.AssertWellFormed(s);
    }

    [TestCase("african_elephants_bw.jpg")]
    [TestCase("african_elephants_cmyk.jpg")]
    [TestCase("african_elephants_truncated_file.jpg")]
    [TestCase("african_elephants_with_exif_orientation.jpg")]
    public void ImageDecoder_FromServiceContainer_DecodesReferenceVariantUpright(string file)
    {
        // The decoder the upload route uses, resolved from the running service: odd encodings still decode to
        // the 2048x1536 upright picture.
        var decoder = _factory.Services.GetRequiredService<ImageDecoder>();
        using var image = decoder.Decode(File.ReadAllBytes(SharedData.RequireFile("images", file)));

        Assert.That((image.Width, image.Height), Is.EqualTo((2048, 1536)));
    }

    [Test]
    public async Task UploadFile_DecompressionBombHeader_Returns413ProblemDetails()
    {
        using var response = await EngineHarness.UploadAsync(_client, TestImages.PngHeaderOnly(50_000, 50_000));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "50000x50000");
    }

    [Test]
    public async Task UploadFile_GarbageAfterJpegMagic_Returns422()
    {
        byte[] garbage = [0xFF, 0xD8, 0xFF, 0xE0, .. Enumerable.Range(0, 2000).Select(i => (byte)(i * 7 % 251))];

        using var response = await EngineHarness.UploadAsync(_client, garbage, "image/jpeg", "broken.jpg");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "JPEG");
    }

    [Test]
    public async Task UploadFile_JpegTruncatedInsideHeader_Returns422()
    {
        var jpeg = PictureOf(DemoColours.Red, SKEncodedImageFormat.Jpeg);

        using var response = await EngineHarness.UploadAsync(_client, jpeg[..120], "image/jpeg", "cut.jpg");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "JPEG");
    }

    [Test]
    public async Task UploadFile_RedTiff_DecodedAndClassified()
    {
        var tiff = TestImages.Tiff(1280, 960, (_, _) => DemoColours.Red.Rgb(), compression: BitMiracle.LibTiff.Classic.Compression.LZW);

        var s = await EngineHarness.PredictAsync(_client, tiff, "image/tiff", "red.tif");

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Lion));
        Assert.That(s.GetProperty("prediction_score").GetDouble(), Is.EqualTo(0.9).Within(1e-4));
    }

    [Test]
    public async Task UploadFile_TiffWithoutDirectory_Returns422NamingTiff()
    {
        byte[] tiff = [(byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

        using var response = await EngineHarness.UploadAsync(_client, tiff, "image/tiff", "empty.tif");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "TIFF");
    }

    [Test]
    public async Task UploadFile_OnePixelRedImage_Returns200WithClassifierFailure()
    {
        // Letterboxed up to 1280x1280 every cell is red, but each box rounds to 0 px in the 1x1 source: the
        // zero-size crop is a CLASSIFIER failure for this image (spec 3.2), reported in a 200 like SpeciesNet does.
        var s = await EngineHarness.PredictAsync(_client, TestImages.OpaqueSolid(1, 1, DemoColours.Red.Rgb()));

        Assert.That(s.GetProperty("failures").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "CLASSIFIER" }));
        Assert.That(s.GetProperty("prediction").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(s.GetProperty("detections").EnumerateArray().SelectMany(d => d.GetProperty("bbox").EnumerateArray()).Select(v => v.GetDouble()),
            Has.All.InRange(0.0, 1.0));
    }

    [Test]
    public async Task UploadFile_OnePixelGreyImage_Returns200Blank()
    {
        // No detection: the classifier sees the whole 1x1 image, stretched to 480x480.
        var s = await EngineHarness.PredictAsync(_client, TestImages.OpaqueSolid(1, 1, DemoColours.Grey.Rgb()));

        EngineHarness.AssertWellFormed(s);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Blank));
    }

    [Test]
    public async Task UploadFile_Panorama10000x20_Returns200()
    {
        var s = await EngineHarness.PredictAsync(_client, TestImages.OpaqueSolid(10_000, 20, DemoColours.Red.Rgb()));

        Assert.That(s.GetProperty("failures").GetArrayLength(), Is.Zero, s.ToString());
        EngineHarness.AssertWellFormed(s);
    }

    internal static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        var detail = json.RootElement.GetProperty("detail").GetString();
        Assert.That(detail, Does.Contain(detailContains));
        return detail!;
    }
}
