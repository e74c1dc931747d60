using System.Net;
using System.Text;
using System.Text.Json;
using Atlas.Api.Tests.EndToEnd;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;

namespace Atlas.Api.Tests.Batch;

/// <summary>
/// <c>POST /v1/predictions</c> over real HTTP with the real engine (embedded demo bundle): every reference image in
/// ../shared/speciesnet/images mixed with a zero-byte and a text file, in all three formats and all three modes,
/// each answer checked by a strict validator; the per-image locations; classify_all_boxes; limits and bad input.
/// </summary>
[TestFixture]
public sealed class BatchPredictionsTests
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

    /// <summary>The shared images (sorted) with a zero-byte file second and a text file in the middle.</summary>
    private static List<(string Name, byte[] Bytes, string ContentType)> MixedBatch()
    {
        var dir = Path.Combine(SharedData.RequireSpeciesNetDir(), "images");
        var images = Directory.GetFiles(dir).Order(StringComparer.Ordinal)
            .Select(p => (Path.GetFileName(p), File.ReadAllBytes(p), "image/jpeg")).ToList();
        Assert.That(images, Has.Count.GreaterThanOrEqualTo(10), "the shared image folder should hold the reference images");
        images.Insert(1, ("empty.jpg", Array.Empty<byte>(), "image/jpeg"));
        images.Insert(images.Count / 2, ("notes.txt", Encoding.UTF8.GetBytes("not an image, just text\n"), "text/plain"));
        return images;
    }

    private static MultipartFormDataContent Form(IEnumerable<(string Name, byte[] Bytes, string ContentType)> files, params (string Field, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, value) in fields) form.Add(new StringContent(value), field);
        foreach (var (name, bytes, type) in files) Multipart.AddFile(form, bytes, name, type, "files");
        return form;
    }

    private async Task<(HttpStatusCode Status, string Body, string? ContentType)> PostAsync(HttpContent form)
    {
        using var response = await _client.PostAsync(new Uri("/v1/predictions", UriKind.Relative), form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private static string[] FailuresOf(JsonElement entry) =>
        entry.TryGetProperty("failures", out var f) ? [.. f.EnumerateArray().Select(x => x.GetString()!)] : [];

    [Test]
    public async Task SpeciesNetFormat_MixedBatch_OneEntryPerFileInOrder_BadFilesFailAlone()
    {
        var batch = MixedBatch();
        using var form = Form(batch);
        var (status, body, type) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(type, Is.EqualTo("application/json"));
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(batch.Select(b => b.Name)));
        Assert.Multiple(() =>
        {
            foreach (var entry in entries)
            {
                var name = entry.GetProperty("filepath").GetString()!;
                if (name is "empty.jpg" or "notes.txt")
                {
                    Assert.That(FailuresOf(entry), Is.EqualTo(new[] { "CLASSIFIER", "DETECTOR" }), name);
                    Assert.That(entry.GetProperty("error").GetString(), Does.Contain(name), name);
                    Assert.That(entry.TryGetProperty("prediction", out _), Is.False, name);
                }
                else if (!name.Contains("truncated", StringComparison.Ordinal))
                {
                    Assert.That(FailuresOf(entry), Is.Empty, name);
                    Assert.That(entry.GetProperty("width").GetInt32(), Is.GreaterThan(0), name);
                    Assert.That(entry.GetProperty("height").GetInt32(), Is.GreaterThan(0), name);
                    Assert.That(entry.GetProperty("location_source").GetString(), Is.EqualTo("none"), name);
                    Assert.That(entry.GetProperty("model_version").GetString(), Is.Not.Empty, name);
                }
            }
        });
    }

    [Test]
    public async Task SpeciesNetFormat_SameImageAsUploadFile_SamePrediction()
    {
        var image = TestImages.WithRect(640, 480, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SkiaSharp.SKRectI(64, 64, 128, 128));
        var single = await EngineHarness.PredictAsync(_client, image);
        using var form = Form([("a.png", image, "image/png")]);
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        var entry = json.RootElement.GetProperty("predictions")[0];
        Assert.That(entry.GetProperty("prediction").GetString(), Is.EqualTo(single.GetProperty("prediction").GetString()));
        Assert.That(entry.GetProperty("prediction_score").GetDouble(), Is.EqualTo(single.GetProperty("prediction_score").GetDouble()));
        Assert.That(entry.GetProperty("width").GetInt32(), Is.EqualTo(640));
        Assert.That(entry.GetProperty("height").GetInt32(), Is.EqualTo(480));
    }

    [TestCase("speciesnet")]
    [TestCase("megadetector")]
    [TestCase("csv")]
    public async Task LargeBatch_AnswerWrittenInPieces_CompleteAndOrdered(string format)
    {
        // 80 images named in reverse order, with a broken one: the answer is far over the writers' flush threshold,
        // so it is sent in many pieces read back from the spool; every image must come back once, in the right order.
        var picture = TestImages.WithRect(320, 240, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SkiaSharp.SKRectI(32, 32, 96, 96));
        var names = Enumerable.Range(0, 80).Select(i => $"img_{79 - i:D3}.png").ToList();
        var files = names.Select(n => (n, n == "img_040.png" ? Encoding.UTF8.GetBytes("broken") : picture, "image/png")).ToList();
        using var form = Form(files, ("format", format));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(Encoding.UTF8.GetByteCount(body), Is.GreaterThan(format == "csv" ? 16 * 1024 : 2 * Atlas.Api.Contracts.Batch.SpeciesNetJsonWriter.FlushThreshold));
        if (format == "csv")
        {
            var rows = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => r.Split(',')[0]).ToList();
            Assert.That(rows, Is.EqualTo(names));
            return;
        }
        using var json = JsonDocument.Parse(body);
        if (format == "megadetector")
        {
            Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty);
            var files2 = json.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("file").GetString()!).ToList();
            Assert.That(files2, Is.EqualTo(names.Order(StringComparer.Ordinal).ToList()));
            var broken = json.RootElement.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("file").GetString() == "img_040.png");
            Assert.That(broken.GetProperty("failure").GetString(), Is.EqualTo("['CLASSIFIER', 'DETECTOR']"));
            return;
        }
        var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(names));
        Assert.That(entries.Count(e => FailuresOf(e).Length > 0), Is.EqualTo(1));
        var first = entries[0].GetRawText();
        Assert.That(entries.Where(e => e.GetProperty("filepath").GetString() != "img_040.png")
            .All(e => e.GetProperty("prediction").GetString() == entries[0].GetProperty("prediction").GetString()), Is.True, first);
    }

    [Test]
    public async Task MegaDetectorFormat_MixedBatch_ValidVersion16_FailuresAsStrings()
    {
        var batch = MixedBatch();
        using var form = Form(batch, ("format", "megadetector"));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body);
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToDictionary(i => i.GetProperty("file").GetString()!);
        Assert.That(images.Keys, Is.EquivalentTo(batch.Select(b => b.Name)));
        Assert.That(images["empty.jpg"].GetProperty("failure").GetString(), Is.EqualTo("['CLASSIFIER', 'DETECTOR']"));
        Assert.That(images["notes.txt"].GetProperty("failure").GetString(), Is.EqualTo("['CLASSIFIER', 'DETECTOR']"));
        Assert.That(images["african_elephants.jpg"].GetProperty("detections").ValueKind, Is.EqualTo(JsonValueKind.Array));
    }

    [Test]
    public async Task CsvFormat_MixedBatch_Rfc4180_OneRowPerImageInOrder()
    {
        var batch = MixedBatch();
        using var form = Form(batch, ("format", "csv"));
        var (status, body, type) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(type, Is.EqualTo("text/csv"));
        var rows = FormatValidators.Csv(body);
        Assert.That(rows[0], Is.EqualTo(new[]
        {
            "file", "prediction", "common_name", "score", "source", "detection_count",
            "top_detection_label", "top_detection_conf", "top_detection_bbox", "failures", "location_source", "error",
        }));
        Assert.That(rows.Skip(1).Select(r => r[0]), Is.EqualTo(batch.Select(b => b.Name)));
        Assert.That(rows, Has.All.Length.EqualTo(12));
        var byName = rows.Skip(1).ToDictionary(r => r[0]);
        Assert.That(byName["empty.jpg"][9], Is.EqualTo("CLASSIFIER DETECTOR"));
        Assert.That(byName["notes.txt"][1], Is.Empty);
        var elephant = byName["african_elephants.jpg"];
        Assert.That(elephant[1].Split(';'), Has.Length.EqualTo(7));
        Assert.That(elephant[2], Is.Not.Empty);
        Assert.That(double.Parse(elephant[3], System.Globalization.CultureInfo.InvariantCulture), Is.InRange(0.0, 1.0));
        Assert.That(int.Parse(elephant[5], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(0));
    }

    [TestCase("detector", "detections")]
    [TestCase("classifier", "classifications")]
    public async Task ComponentModes_OnlyThatComponentsOutput(string mode, string key)
    {
        var batch = MixedBatch();
        using var form = Form(batch, ("mode", mode));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement, mode), Is.Empty, body);
        var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(batch.Select(b => b.Name)));
        var empty = entries.Single(e => e.GetProperty("filepath").GetString() == "empty.jpg");
        Assert.That(FailuresOf(empty), Is.EqualTo(new[] { mode == "detector" ? "DETECTOR" : "CLASSIFIER" }));
        var elephant = entries.Single(e => e.GetProperty("filepath").GetString() == "african_elephants.jpg");
        Assert.That(elephant.TryGetProperty(key, out _), Is.True, body);
    }

    [Test]
    public async Task ComponentModes_MegaDetectorOfDetectorOnly_IsValid()
    {
        using var form = Form(MixedBatch(), ("mode", "detector"), ("format", "megadetector"));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body);
    }

    [Test]
    public async Task Metadata_PerImageLocationOverDefaults_EchoedWithRequestSource()
    {
        var picture = TestImages.OpaqueSolid(256, 192, DemoColours.Grey.Rgb());
        var metadata = """{"b.png": {"country": "ken"}, "c.png": {"latitude": 41.46, "longitude": -73.84, "country": "USA"}}""";
        using var form = Form([("a.png", picture, "image/png"), ("b.png", picture, "image/png"), ("c.png", picture, "image/png")],
            ("country", "AUT"), ("metadata", metadata));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var e = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(e[0].GetProperty("country").GetString(), Is.EqualTo("AUT"));
        Assert.That(e[1].GetProperty("country").GetString(), Is.EqualTo("KEN"));
        Assert.That(e[2].GetProperty("country").GetString(), Is.EqualTo("USA"));
        Assert.That(e[2].GetProperty("admin1_region").GetString(), Is.EqualTo("NY"));
        Assert.That(e[2].GetProperty("latitude").GetDouble(), Is.EqualTo(41.46));
        Assert.That(e.Select(x => x.GetProperty("location_source").GetString()), Is.All.EqualTo("request"));
    }

    [Test]
    public async Task ExifGpsAndCamera_ReportedPerImage_ExplicitFieldsWin()
    {
        var jpeg = new ExifWriter()
            .Make("RECONYX").Model("HF2 PRO COVERT").BodySerialNumber("H500ABC123")
            .DateTimeOriginal("2024:05:01 06:12:09").OffsetTimeOriginal("-04:00")
            .Gps(41.46, -73.84)
            .InsertInto(TestImages.OpaqueSolid(320, 240, DemoColours.Grey.Rgb(), SkiaSharp.SKEncodedImageFormat.Jpeg));
        using var form = Form([("exif.jpg", jpeg, "image/jpeg"), ("given.jpg", jpeg, "image/jpeg")],
            ("metadata", """{"given.jpg": {"country": "KEN"}}"""));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var e = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(e[0].GetProperty("location_source").GetString(), Is.EqualTo("exif"), body);
        Assert.That(e[0].GetProperty("country").GetString(), Is.EqualTo("USA"), "country derived offline from the EXIF position");
        Assert.That(e[0].GetProperty("admin1_region").GetString(), Is.EqualTo("NY"));
        Assert.That(e[0].GetProperty("latitude").GetDouble(), Is.EqualTo(41.46).Within(1e-4));
        Assert.That(e[0].GetProperty("longitude").GetDouble(), Is.EqualTo(-73.84).Within(1e-4));
        Assert.That(e[0].GetProperty("capture_time").GetString(), Is.EqualTo("2024-05-01T06:12:09-04:00"));
        Assert.That(e[0].GetProperty("camera_make").GetString(), Is.EqualTo("RECONYX"));
        Assert.That(e[0].GetProperty("camera_model").GetString(), Is.EqualTo("HF2 PRO COVERT"));
        Assert.That(e[0].GetProperty("camera_serial").GetString(), Is.EqualTo("H500ABC123"));
        Assert.That(e[0].GetProperty("width").GetInt32(), Is.EqualTo(320));
        Assert.That(e[1].GetProperty("location_source").GetString(), Is.EqualTo("request"));
        Assert.That(e[1].GetProperty("country").GetString(), Is.EqualTo("KEN"));
    }

    [Test]
    public async Task MetadataCoordinatesOnly_CountryDerived_AtSeaNone()
    {
        var picture = TestImages.OpaqueSolid(128, 128, DemoColours.Grey.Rgb());
        var metadata = """{"vienna.png": {"latitude": 48.2, "longitude": 16.37}, "sea.png": {"latitude": 0.0, "longitude": -30.0}}""";
        using var form = Form([("vienna.png", picture, "image/png"), ("sea.png", picture, "image/png")], ("metadata", metadata));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var e = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(e[0].GetProperty("country").GetString(), Is.EqualTo("AUT"), body);
        Assert.That(e[1].TryGetProperty("country", out _), Is.False, body);
        Assert.That(e[1].GetProperty("latitude").GetDouble(), Is.EqualTo(0.0));
        Assert.That(e.Select(x => x.GetProperty("location_source").GetString()), Is.All.EqualTo("request"));
    }

    [Test]
    public async Task FileNamesWithFolders_KeptAsRelativePaths_MetadataMatchesThem()
    {
        var picture = TestImages.OpaqueSolid(128, 128, DemoColours.Grey.Rgb());
        using var form = Form([(@"card1\IMG_0001.PNG", picture, "image/png"), ("card2/IMG_0001.PNG", picture, "image/png")],
            ("format", "megadetector"), ("metadata", """{"card2/IMG_0001.PNG": {"country": "KEN"}}"""));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body);
        Assert.That(json.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("file").GetString()),
            Is.EqualTo(new[] { "card1/IMG_0001.PNG", "card2/IMG_0001.PNG" }));

        using var snForm = Form([("card2/IMG_0001.PNG", picture, "image/png")], ("metadata", """{"card2/IMG_0001.PNG": {"country": "KEN"}}"""));
        var (_, snBody, _) = await PostAsync(snForm);
        using var sn = JsonDocument.Parse(snBody);
        Assert.That(sn.RootElement.GetProperty("predictions")[0].GetProperty("country").GetString(), Is.EqualTo("KEN"), snBody);
    }

    [Test]
    public async Task ClassifyAllBoxes_PerBoxPredictionsSortedAndCut_ImageLevelUnchanged()
    {
        // Two red squares and one orange square on grey: three animal boxes.
        var picture = TestImages.WithRect(512, 384, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SkiaSharp.SKRectI(64, 64, 128, 128));
        using var plainForm = Form([("a.png", picture, "image/png")]);
        var (_, plainBody, _) = await PostAsync(plainForm);
        using var form = Form([("a.png", picture, "image/png")], ("classify_all_boxes", "true"), ("max_classifications", "2"), ("min_box_confidence", "0.5"));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        using var plain = JsonDocument.Parse(plainBody);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var entry = json.RootElement.GetProperty("predictions")[0];
        var plainEntry = plain.RootElement.GetProperty("predictions")[0];
        Assert.That(plainEntry.TryGetProperty("detection_predictions", out _), Is.False, "default output stays SpeciesNet's");
        Assert.That(entry.GetProperty("prediction").GetString(), Is.EqualTo(plainEntry.GetProperty("prediction").GetString()));
        Assert.That(entry.GetProperty("prediction_score").GetDouble(), Is.EqualTo(plainEntry.GetProperty("prediction_score").GetDouble()));
        var boxes = entry.GetProperty("detection_predictions").EnumerateArray().ToList();
        var animalBoxes = entry.GetProperty("detections").EnumerateArray().Count(d => d.GetProperty("label").GetString() == "animal" && d.GetProperty("conf").GetDouble() >= 0.5);
        Assert.That(animalBoxes, Is.GreaterThanOrEqualTo(1));
        Assert.That(boxes, Has.Count.EqualTo(Math.Min(2, animalBoxes)));
        Assert.That(boxes[0].GetProperty("bbox").GetArrayLength(), Is.EqualTo(4));
        Assert.That(boxes[0].GetProperty("prediction").GetString()!.Split(';'), Has.Length.EqualTo(7));
    }

    [Test]
    public async Task ClassifyAllBoxes_MegaDetectorFormat_EachBoxCarriesItsOwnClass()
    {
        // Red and orange squares: boxes whose own predictions differ from each other.
        var picture = TestImages.WithRect(512, 384, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SkiaSharp.SKRectI(64, 64, 128, 128));
        using var snForm = Form([("a.png", picture, "image/png")], ("classify_all_boxes", "true"), ("max_classifications", "10"));
        var (_, snBody, _) = await PostAsync(snForm);
        using var mdForm = Form([("a.png", picture, "image/png")], ("classify_all_boxes", "true"), ("max_classifications", "10"), ("format", "megadetector"));
        var (status, body, _) = await PostAsync(mdForm);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var md = JsonDocument.Parse(body);
        using var sn = JsonDocument.Parse(snBody);
        Assert.That(FormatValidators.MegaDetector(md.RootElement), Is.Empty, body);
        var perBox = sn.RootElement.GetProperty("predictions")[0].GetProperty("detection_predictions").EnumerateArray()
            .ToDictionary(b => string.Join(",", b.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble())), b => (Label: b.GetProperty("prediction").GetString()!, Score: b.GetProperty("prediction_score").GetDouble()));
        Assert.That(perBox, Is.Not.Empty);
        var descriptions = md.RootElement.GetProperty("classification_category_descriptions");
        var matched = 0;
        foreach (var detection in md.RootElement.GetProperty("images")[0].GetProperty("detections").EnumerateArray())
        {
            var key = string.Join(",", detection.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()));
            if (!perBox.TryGetValue(key, out var own)) continue;
            var classification = detection.GetProperty("classifications")[0];
            Assert.That(descriptions.GetProperty(classification[0].GetString()!).GetString(), Is.EqualTo(own.Label), key);
            Assert.That(classification[1].GetDouble(), Is.EqualTo(own.Score), key);
            matched++;
        }
        Assert.That(matched, Is.EqualTo(perBox.Count), "every per-box prediction appears on its detection");
    }

    [Test]
    public async Task ClassifyAllBoxes_ManyBoxes_CutToMaxClassifications()
    {
        // A solid red picture: one animal box per 64x64 cell (12 here), classified in batches.
        var picture = TestImages.OpaqueSolid(256, 192, DemoColours.Red.Rgb());
        using var form = Form([("a.png", picture, "image/png")], ("classify_all_boxes", "true"), ("max_classifications", "5"));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var entry = json.RootElement.GetProperty("predictions")[0];
        Assert.That(entry.GetProperty("detections").GetArrayLength(), Is.GreaterThan(5));
        Assert.That(entry.GetProperty("detection_predictions").GetArrayLength(), Is.EqualTo(5));
    }

    [Test]
    public async Task Limits_TooManyImages_413Problem()
    {
        await using var factory = new AtlasApiFactory(EngineHarness.Settings(null, ("Batch:MaxImages", "2")), mockClassifier: false);
        using var client = factory.CreateHttpClient();
        var picture = TestImages.OpaqueSolid(64, 64, DemoColours.Grey.Rgb());
        using var form = Form([("a.png", picture, "image/png"), ("b.png", picture, "image/png"), ("c.png", picture, "image/png")]);
        using var response = await client.PostAsync(new Uri("/v1/predictions", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(body, Does.Contain("Batch:MaxImages"));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Limits_BodyOverTotalSize_413Problem(bool announceLength)
    {
        await using var factory = new AtlasApiFactory(EngineHarness.Settings(null, ("Batch:MaxRequestBytes", "20000")), mockClassifier: false);
        using var client = factory.CreateHttpClient();
        var noise = new byte[30_000];
        new Random(1).NextBytes(noise);
        using var form = Form([("a.jpg", noise, "image/jpeg")]);
        HttpContent content = form;
        if (!announceLength)
        {
            // Chunked: the limit is met while streaming, not from Content-Length.
            content = new StreamContent(await form.ReadAsStreamAsync());
            content.Headers.ContentType = form.Headers.ContentType;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/predictions") { Content = content };
        if (!announceLength) request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Limits_OneImageOverFileLimit_FailsAloneNotTheBatch()
    {
        await using var factory = new AtlasApiFactory(EngineHarness.Settings(null, ("Uploads:MaxFileBytes", "5000")), mockClassifier: false);
        using var client = factory.CreateHttpClient();
        var small = TestImages.OpaqueSolid(64, 64, DemoColours.Grey.Rgb());
        var big = new byte[8000];
        big[0] = 0xFF; big[1] = 0xD8; big[2] = 0xFF;
        using var form = Form([("big.jpg", big, "image/jpeg"), ("small.png", small, "image/png")]);
        using var response = await client.PostAsync(new Uri("/v1/predictions", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        var e = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(FailuresOf(e[0]), Is.EqualTo(new[] { "CLASSIFIER", "DETECTOR" }));
        Assert.That(e[0].GetProperty("error").GetString(), Does.Contain("5,000"));
        Assert.That(FailuresOf(e[1]), Is.Empty);
    }

    [TestCase("{not json", "metadata")]
    [TestCase("[1, 2]", "metadata")]
    [TestCase("""{"a.png": {"latitude": "north"}}""", "metadata[a.png].latitude")]
    [TestCase("""{"a.png": {"latitude": 95, "longitude": 10}}""", "metadata[a.png].latitude")]
    [TestCase("""{"a.png": {"country": "Kenya"}}""", "metadata[a.png].country")]
    [TestCase("""{"a.png": {"altitude": 100}}""", "metadata[a.png].altitude")]
    public async Task BadMetadata_400NamingTheField(string metadata, string field)
    {
        using var form = Form([("a.png", TestImages.OpaqueSolid(64, 64, DemoColours.Grey.Rgb()), "image/png")], ("metadata", metadata));
        var (status, body, type) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(type, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("errors").TryGetProperty(field, out _), Is.True, body);
    }

    [TestCase("format", "xml")]
    [TestCase("mode", "fast")]
    [TestCase("classify_all_boxes", "maybe")]
    [TestCase("latitude", "north")]
    [TestCase("colour", "red")]
    public async Task BadOption_400NamingTheField(string field, string value)
    {
        using var form = Form([("a.png", TestImages.OpaqueSolid(64, 64, DemoColours.Grey.Rgb()), "image/png")], (field, value));
        var (status, body, _) = await PostAsync(form);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("errors").TryGetProperty(field, out _), Is.True, body);
    }

    [Test]
    public async Task FieldAfterFiles_400()
    {
        var form = Form([("a.png", TestImages.OpaqueSolid(64, 64, DemoColours.Grey.Rgb()), "image/png")]);
        form.Add(new StringContent("csv"), "format");
        using (form)
        {
            var (status, body, _) = await PostAsync(form);
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(body, Does.Contain("before the files"));
        }
    }

    [Test]
    public async Task NoFiles_400_NotMultipart_415()
    {
        using var form = Form([], ("format", "csv"));
        var (status, body, _) = await PostAsync(form);
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("files"));

        using var json = new StringContent("{}", Encoding.UTF8, "application/json");
        var (status2, body2, _) = await PostAsync(json);
        Assert.That(status2, Is.EqualTo(HttpStatusCode.UnsupportedMediaType), body2);
    }
}
