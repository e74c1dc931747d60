using System.Net;
using System.Text;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using SkiaSharp;

namespace Atlas.Api.Tests;

/// <summary><c>POST /gemini/analyze/</c> over real HTTP, with Gemini replaced by <see cref="FakeGeminiServer"/> on loopback.</summary>
[TestFixture]
public sealed class GeminiAnalyzeTests
{
    private const string Key = "AIzaAPI-TEST-key-9876543210";
    private const string RecipeSchema = """{"type":"object","properties":{"recipe_name":{"type":"string"}}}""";

    private static readonly byte[] Fox1 = TestImages.Solid(32, 24, SKColors.OrangeRed);
    private static readonly byte[] Deer = TestImages.Solid(32, 24, SKColors.SaddleBrown);
    private static readonly byte[] Fox2 = TestImages.Solid(40, 30, SKColors.Orange);
    /// <summary>A 1x1 GIF89a (SkiaSharp does not encode GIF).</summary>
    private static readonly byte[] OnePixelGif = Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");

    private static readonly byte[] PngImage = TestImages.Solid(16, 16, SKColors.Green, SKEncodedImageFormat.Png);

    private FakeGeminiServer _gemini = null!;
    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _gemini = await FakeGeminiServer.StartAsync();
        _factory = new AtlasApiFactory(Settings());
        _client = _factory.CreateHttpClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _gemini.DisposeAsync();
    }

    [SetUp]
    public void ResetGemini() => _gemini.Reset();

    private Dictionary<string, string?> Settings(params (string Key, string? Value)[] overrides) =>
        _gemini.Settings(Key, overrides.Select(o => KeyValuePair.Create(o.Key, o.Value)));

    private static MultipartFormDataContent Form(string? prompt, params (byte[] Bytes, string Name)[] files)
    {
        var content = new MultipartFormDataContent();
        if (prompt is not null) content.With("prompt", prompt);
        foreach (var (bytes, name) in files)
        {
            Multipart.AddFile(content, bytes, name, name.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg", "files");
        }
        return content;
    }

    private static string Label(string label) => $$"""{"category_label":"{{label}}","description":"a {{label}}","confidence":0.9}""";

    /// <summary>Answers by which image the request carries.</summary>
    private void AnswerPerImage(params (byte[] Image, FakeGeminiServer.Reply Reply)[] replies) =>
        _gemini.Responder = request =>
        {
            var data = request.Json.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("inline_data").GetProperty("data").GetString();
            return replies.Single(r => Convert.ToBase64String(r.Image) == data).Reply;
        };

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(body, Does.Not.Contain(Key));
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [TestCase("/gemini/analyze/")]
    [TestCase("/gemini/analyze")]
    public async Task Analyze_SingleImageDefaultSchema_OneGroupWithMetadata(string path)
    {
        _gemini.Fallback = FakeGeminiServer.Success(Label("red fox"));

        using var response = await _client.PostAsync(path, Form("What animal is this?", (Fox1, "fox.jpg")));

        var root = await Ok(response);
        Assert.That(root.GetProperty("prompt").GetString(), Is.EqualTo("What animal is this?"));
        var group = root.GetProperty("groups").EnumerateArray().Single();
        Assert.That(group.GetProperty("label").GetString(), Is.EqualTo("red fox"));
        Assert.That(group.GetProperty("label_field").GetString(), Is.EqualTo("category_label"));
        Assert.That(group.GetProperty("count").GetInt32(), Is.EqualTo(1));
        Assert.That(group.GetProperty("image_indexes")[0].GetInt32(), Is.EqualTo(0));
        Assert.That(group.GetProperty("filenames")[0].GetString(), Is.EqualTo("fox.jpg"));
        Assert.That(group.GetProperty("responses")[0].GetProperty("confidence").GetDouble(), Is.EqualTo(0.9));
        var image = root.GetProperty("images")[0];
        Assert.That(image.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(image.GetProperty("media_type").GetString(), Is.EqualTo("image/jpeg"));
        Assert.That(image.GetProperty("content_size").GetInt64(), Is.EqualTo(Fox1.Length));
        Assert.That(image.GetProperty("finish_reason").GetString(), Is.EqualTo("STOP"));
        Assert.That(image.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var metadata = root.GetProperty("metadata");
        Assert.That(metadata.GetProperty("model").GetString(), Is.EqualTo("gemini-test"));
        Assert.That(metadata.GetProperty("strategy").GetString(), Is.EqualTo("per_image"));
        Assert.That(metadata.GetProperty("schema").GetString(), Is.EqualTo("default"));
        Assert.That(metadata.GetProperty("succeeded").GetInt32(), Is.EqualTo(1));
        Assert.That(metadata.GetProperty("usage").GetProperty("total_token_count").GetInt32(), Is.EqualTo(1355));
        Assert.That(metadata.GetProperty("latency_ms").GetDouble(), Is.GreaterThanOrEqualTo(0));

        var sent = _gemini.Requests.Single();
        Assert.That(sent.Headers["x-goog-api-key"], Is.EqualTo(Key));
        var parts = sent.Json.GetProperty("contents")[0].GetProperty("parts");
        Assert.That(parts[0].GetProperty("inline_data").GetProperty("data").GetString(), Is.EqualTo(Convert.ToBase64String(Fox1)));
        Assert.That(parts[1].GetProperty("text").GetString(), Is.EqualTo("What animal is this?"));
        Assert.That(sent.Json.GetProperty("generationConfig").GetProperty("responseJsonSchema").GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "category_label", "description", "confidence" }));
    }

    [Test]
    public async Task Analyze_MultipleImages_GroupedByLabelIgnoringCase()
    {
        AnswerPerImage(
            (Fox1, FakeGeminiServer.Success(Label("Red fox"))),
            (Deer, FakeGeminiServer.Success(Label("deer"))),
            (PngImage, FakeGeminiServer.Success(Label("red fox"))));

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What animal?", (Fox1, "a.jpg"), (Deer, "b.jpg"), (PngImage, "c.png")));

        var root = await Ok(response);
        var groups = root.GetProperty("groups").EnumerateArray().ToArray();
        Assert.That(groups.Select(g => g.GetProperty("label").GetString()), Is.EqualTo(new[] { "Red fox", "deer" }));
        Assert.That(groups[0].GetProperty("count").GetInt32(), Is.EqualTo(2));
        Assert.That(groups[0].GetProperty("image_indexes").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(groups[0].GetProperty("filenames").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "a.jpg", "c.png" }));
        Assert.That(groups[1].GetProperty("image_indexes").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 1 }));
        Assert.That(root.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("label").GetString()), Is.EqualTo(new[] { "Red fox", "deer", "red fox" }));
        Assert.That(root.GetProperty("images")[2].GetProperty("media_type").GetString(), Is.EqualTo("image/png"));
        Assert.That(_gemini.Requests, Has.Count.EqualTo(3), "one Gemini call per image");
        Assert.That(root.GetProperty("metadata").GetProperty("usage").GetProperty("prompt_token_count").GetInt32(), Is.EqualTo(3 * 1290));
    }

    [Test]
    public async Task Analyze_CustomSchemaWithoutLabel_SchemaSentAndOneGroupPerImage()
    {
        _gemini.Fallback = FakeGeminiServer.Success("""{"recipe_name":"soup"}""");

        using var response = await _client.PostAsync("/gemini/analyze/",
            Form("Extract recipe instructions", (Fox1, "a.jpg"), (Deer, "b.jpg")).With("schema_json", RecipeSchema));

        var root = await Ok(response);
        var groups = root.GetProperty("groups").EnumerateArray().ToArray();
        Assert.That(groups, Has.Length.EqualTo(2));
        Assert.That(groups.Select(g => g.GetProperty("label").ValueKind), Is.All.EqualTo(JsonValueKind.Null));
        Assert.That(groups.Select(g => g.GetProperty("responses")[0].GetProperty("recipe_name").GetString()), Is.All.EqualTo("soup"));
        Assert.That(root.GetProperty("metadata").GetProperty("schema").GetString(), Is.EqualTo("custom"));
        foreach (var sent in _gemini.Requests)
        {
            Assert.That(JsonElement.DeepEquals(sent.Json.GetProperty("generationConfig").GetProperty("responseJsonSchema"), JsonDocument.Parse(RecipeSchema).RootElement), Is.True);
        }
    }

    [Test]
    public async Task Analyze_CustomSchemaWithLabelLikeField_GroupedByThatField()
    {
        AnswerPerImage(
            (Fox1, FakeGeminiServer.Success("""{"count":1,"species":"vulpes vulpes"}""")),
            (Fox2, FakeGeminiServer.Success("""{"count":2,"species":"Vulpes vulpes"}""")));

        using var response = await _client.PostAsync("/gemini/analyze/",
            Form("Name the species", (Fox1, "a.jpg"), (Fox2, "b.jpg"))
                .With("schema_json", """{"type":"object","properties":{"count":{"type":"integer"},"species":{"type":"string"}}}"""));

        var root = await Ok(response);
        var group = root.GetProperty("groups").EnumerateArray().Single();
        Assert.That(group.GetProperty("label").GetString(), Is.EqualTo("vulpes vulpes"));
        Assert.That(group.GetProperty("label_field").GetString(), Is.EqualTo("species"));
        Assert.That(group.GetProperty("count").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task Analyze_OneImageGets500s_OthersAnsweredAndErrorReportedOnThatImage()
    {
        AnswerPerImage(
            (Fox1, FakeGeminiServer.Success(Label("fox"))),
            (Deer, FakeGeminiServer.Error(500, "INTERNAL", "An internal error has occurred.")));

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg"), (Deer, "b.jpg")));

        var root = await Ok(response);
        var failed = root.GetProperty("images")[1];
        Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("error"));
        Assert.That(failed.GetProperty("response").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(failed.GetProperty("error").GetProperty("status").GetInt32(), Is.EqualTo(502));
        Assert.That(failed.GetProperty("error").GetProperty("detail").GetString(), Does.Contain("500 INTERNAL"));
        Assert.That(root.GetProperty("groups").EnumerateArray().Single().GetProperty("filenames")[0].GetString(), Is.EqualTo("a.jpg"));
        Assert.That(root.GetProperty("metadata").GetProperty("failed").GetInt32(), Is.EqualTo(1));
        Assert.That(_gemini.Requests.Count(r => r.Body.Contains(Convert.ToBase64String(Deer), StringComparison.Ordinal)), Is.EqualTo(3), "500s are retried");
    }

    [Test]
    public async Task Analyze_Gemini500s_Returns502Problem()
    {
        _gemini.Fallback = FakeGeminiServer.Error(500, "INTERNAL", "An internal error has occurred.");

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        var body = await UploadContractTests.AssertProblem(response, HttpStatusCode.BadGateway, "500 INTERNAL");
        Assert.That(body, Does.Not.Contain(Key));
    }

    [Test]
    public async Task Analyze_Gemini429StormWithLongRetryAfter_Returns503WithRetryAfter()
    {
        _gemini.Fallback = FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retryAfter: "60");

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await UploadContractTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "rate-limiting");
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public async Task Analyze_Gemini429ThenSuccess_Returns200()
    {
        _gemini.Enqueue(FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded."));
        _gemini.Fallback = FakeGeminiServer.Success(Label("fox"));

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await Ok(response);
        Assert.That(_gemini.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Analyze_GeminiAnswersProse_Returns502NotJson()
    {
        _gemini.Fallback = FakeGeminiServer.Success("I think this is a fox.");

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await UploadContractTests.AssertProblem(response, HttpStatusCode.BadGateway, "not JSON");
    }

    [Test]
    public async Task Analyze_GeminiJsonBreaksSchema_Returns502SchemaViolation()
    {
        _gemini.Fallback = FakeGeminiServer.Success("""{"category_label":"fox","description":"a fox","confidence":"high"}""");

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await UploadContractTests.AssertProblem(response, HttpStatusCode.BadGateway, "does not follow the schema");
    }

    [Test]
    public async Task Analyze_GeminiBodyMalformed_Returns502()
    {
        _gemini.Fallback = FakeGeminiServer.Json(200, "<html>proxy error</html>");

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await UploadContractTests.AssertProblem(response, HttpStatusCode.BadGateway, "not generateContent JSON");
    }

    [Test]
    public async Task Analyze_ConnectionsDropped_Returns502()
    {
        _gemini.Fallback = FakeGeminiServer.Drop;

        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));

        await UploadContractTests.AssertProblem(response, HttpStatusCode.BadGateway, "Could not reach Gemini");
    }

    [Test]
    public async Task Analyze_MissingPrompt_Returns400KeyedByPrompt()
    {
        using var response = await _client.PostAsync("/gemini/analyze/", Form(null, (Fox1, "a.jpg")));
        await UploadContractTests.AssertValidationProblem(response, "prompt");
        Assert.That(_gemini.Requests, Is.Empty);
    }

    [Test]
    public async Task Analyze_NoFiles_Returns400KeyedByFiles()
    {
        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?"));
        await UploadContractTests.AssertValidationProblem(response, "files");
    }

    [Test]
    public async Task Analyze_FileUnderSingularFieldName_Returns400KeyedByFiles()
    {
        using var response = await _client.PostAsync("/gemini/analyze/", Multipart.File(Fox1).With("prompt", "What?"));
        await UploadContractTests.AssertValidationProblem(response, "files");
    }

    [Test]
    public async Task Analyze_NonImageFile_Returns415NamingTheFile()
    {
        var content = Form("What?", (Fox1, "a.jpg"));
        Multipart.AddFile(content, Encoding.UTF8.GetBytes("hello"), "notes.txt", "text/plain", "files");

        using var response = await _client.PostAsync("/gemini/analyze/", content);

        await UploadContractTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "notes.txt");
        Assert.That(_gemini.Requests, Is.Empty);
    }

    [Test]
    public async Task Analyze_GifImage_Returns415NamingGeminisFormats()
    {
        var content = new MultipartFormDataContent().With("prompt", "What?");
        Multipart.AddFile(content, OnePixelGif, "a.gif", "image/gif", "files");

        using var response = await _client.PostAsync("/gemini/analyze/", content);

        await UploadContractTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "JPEG, PNG and WebP");
    }

    [TestCase("{not json", "not valid JSON")]
    [TestCase("""{"type":"array"}""", "must describe a JSON object")]
    [TestCase("[]", "not a JSON array")]
    public async Task Analyze_BadSchema_Returns400KeyedBySchemaJson(string schema, string expected)
    {
        using var response = await _client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")).With("schema_json", schema));

        var body = await UploadContractTests.AssertValidationProblem(response, "schema_json");
        Assert.That(body, Does.Contain(expected));
        Assert.That(_gemini.Requests, Is.Empty);
    }

    [Test]
    public async Task Healthz_KeySet_GeminiOkWithoutTheKey()
    {
        using var response = await _client.GetAsync("/healthz");

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(body, Does.Not.Contain(Key));
        using var json = JsonDocument.Parse(body);
        var gemini = json.RootElement.GetProperty("checks").GetProperty("gemini");
        Assert.That(gemini.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(gemini.GetProperty("required").GetBoolean(), Is.False);
        Assert.That(gemini.GetProperty("data").GetProperty("configured").GetBoolean(), Is.True);
        Assert.That(gemini.GetProperty("data").GetProperty("model").GetString(), Is.EqualTo("gemini-test"));
    }

    [Test]
    public async Task Analyze_NoKeyConfigured_Returns503AndHealthzSaysNotConfigured()
    {
        await using var factory = new AtlasApiFactory(Settings(("Gemini:ApiKey", null)));
        using var client = factory.CreateHttpClient();

        using var response = await client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));
        using var health = await client.GetAsync("/healthz");

        await UploadContractTests.AssertProblem(response, HttpStatusCode.ServiceUnavailable, "GOOGLE_API_KEY");
        Assert.That(_gemini.Requests, Is.Empty);
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Gemini is not required for readiness");
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        var gemini = json.RootElement.GetProperty("checks").GetProperty("gemini");
        Assert.That(gemini.GetProperty("status").GetString(), Is.EqualTo("not_configured"));
        Assert.That(gemini.GetProperty("data").GetProperty("configured").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Analyze_TightBudgetsAndSlowGemini_413BeforeCallingAnd504OnTimeout()
    {
        await using var factory = new AtlasApiFactory(Settings(
            ("MultiImageIntake:MaxRequestBytes", "1024"),
            ("Gemini:MaxRequestBytes", "16384"),
            ("Gemini:AttemptTimeoutSeconds", "0.2"),
            ("Gemini:TotalTimeoutSeconds", "1")));
        using var client = factory.CreateHttpClient();
        // Intake reads only the magic bytes, so trailing padding makes a JPEG of any size: 20 KB travels as 27 KB of base64.
        var big = Fox1.Concat(new byte[20_000]).ToArray();

        using var tooBig = await client.PostAsync("/gemini/analyze/", Form("What?", (big, "big.jpg")));
        await UploadContractTests.AssertProblem(tooBig, HttpStatusCode.RequestEntityTooLarge, "16,384");
        Assert.That(_gemini.Requests, Is.Empty);

        // The whole body is capped too (MultiImageIntake: 1,024 + 64 KiB of form overhead here).
        // Sent over a raw socket: the server answers before reading the body, which HttpClient may report as a broken pipe.
        using var multipart = Form("What?", (big, "1.jpg"), (big, "2.jpg"), (big, "3.jpg"), (big, "4.jpg"));
        var body = await multipart.ReadAsByteArrayAsync();
        var head = $"POST /gemini/analyze/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nContent-Type: {multipart.Headers.ContentType}\r\n\r\n";
        var tooMany = await RawHttp.SendAsync(client.BaseAddress!, head, body, chunked: false);
        Assert.That(tooMany.Status, Is.EqualTo(413), tooMany.Head + tooMany.Body);
        Assert.That(tooMany.Body, Does.Contain("66,560"));
        Assert.That(_gemini.Requests, Is.Empty);

        _gemini.Fallback = FakeGeminiServer.Slow(TimeSpan.FromSeconds(30));
        using var slow = await client.PostAsync("/gemini/analyze/", Form("What?", (Fox1, "a.jpg")));
        await UploadContractTests.AssertProblem(slow, HttpStatusCode.GatewayTimeout, "did not answer within");
    }
}
