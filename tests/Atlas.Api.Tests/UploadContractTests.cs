using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Moq;
using SkiaSharp;

namespace Atlas.Api.Tests;

/// <summary>The seed's HTTP contract and every bad-input case, over real HTTP with a stand-in engine.</summary>
[TestFixture]
public sealed class UploadContractTests
{
    private const string Elephant = "55631055-3e0e-4b7a-9612-dedebe9f78b0;mammalia;proboscidea;elephantidae;loxodonta;africana;african elephant";
    private const string Buffalo = "9732cefb-6a08-49f6-b61e-b9a9054368c4;mammalia;cetartiodactyla;bovidae;syncerus;caffer;african buffalo";

    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;
    private static readonly byte[] Jpeg = TestImages.Solid(64, 48, SKColors.Olive);

    [OneTimeSetUp]
    public void Start()
    {
        _factory = new AtlasApiFactory();
        _client = _factory.CreateHttpClient();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [SetUp]
    public void ResetEngine()
    {
        _factory.Classifier.Reset();
        _factory.Classifier.SetupGet(c => c.Status).Returns(AtlasApiFactory.ReadyStatus);
        _factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns((ReadOnlyMemory<byte> _, GeoLocation location, CancellationToken _) => ValueTask.FromResult(SamplePrediction(location)));
    }

    private static SpeciesNetPrediction SamplePrediction(GeoLocation location) => new(
        [],
        location,
        new Classifications([Elephant, Buffalo], [0.97, 0.01]),
        [new Detection("1", "animal", 0.92, [0.12, 0.33, 0.56, 0.41])],
        Elephant,
        0.97,
        "classifier",
        "test-model");

    [TestCase("/uploadfile/")]
    [TestCase("/uploadfile")]
    public async Task UploadFile_ValidJpeg_ReturnsSeedShape(string path)
    {
        using var response = await _client.PostAsync(path, Multipart.File(Jpeg));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.That(root.GetProperty("filename").GetString(), Is.EqualTo("camera-trap.jpg"));
        Assert.That(root.GetProperty("content_size").GetInt64(), Is.EqualTo(Jpeg.Length));
        var sn = root.GetProperty("speciesnet");
        Assert.That(sn.GetProperty("prediction").GetString(), Is.EqualTo(Elephant));
        Assert.That(sn.GetProperty("prediction_score").GetDouble(), Is.EqualTo(0.97));
        Assert.That(sn.GetProperty("prediction_source").GetString(), Is.EqualTo("classifier"));
        Assert.That(sn.GetProperty("model_version").GetString(), Is.EqualTo("test-model"));
        Assert.That(sn.TryGetProperty("prediction_display_name", out _), Is.True);
        var top = sn.GetProperty("top_classes");
        Assert.That(top.GetArrayLength(), Is.EqualTo(2));
        Assert.That(top[0].GetProperty("label_raw").GetString(), Is.EqualTo(Elephant));
        Assert.That(top[0].TryGetProperty("display_name", out _), Is.True);
        Assert.That(top[0].GetProperty("score").GetDouble(), Is.EqualTo(0.97));
        var det = sn.GetProperty("detections")[0];
        Assert.That(det.GetProperty("label").GetString(), Is.EqualTo("animal"));
        Assert.That(det.GetProperty("category").GetString(), Is.EqualTo("1"));
        Assert.That(det.GetProperty("conf").GetDouble(), Is.EqualTo(0.92));
        Assert.That(det.GetProperty("bbox").GetArrayLength(), Is.EqualTo(4));
        Assert.That(sn.GetProperty("classifications").GetProperty("classes").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task UploadFile_WithLocation_PassesNormalizedLocationAndEchoesIt()
    {
        var content = Multipart.File(Jpeg).With("country", "usa").With("admin1_region", "ny").With("latitude", "41.46").With("longitude", "-73.84");

        using var response = await _client.PostAsync("/uploadfile/", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        _factory.Classifier.Verify(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(),
            It.Is<GeoLocation>(l => l.Country == "USA" && l.Admin1Region == "NY" && l.Latitude == 41.46 && l.Longitude == -73.84),
            It.IsAny<CancellationToken>()), Times.Once);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("speciesnet").GetProperty("country").GetString(), Is.EqualTo("USA"));
    }

    [Test]
    public async Task UploadFile_UsaWithCoordinatesOnly_DerivesAdmin1LikeSpeciesNet()
    {
        var content = Multipart.File(Jpeg).With("country", "USA").With("latitude", "41.46").With("longitude", "-73.84");

        using var response = await _client.PostAsync("/uploadfile/", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        _factory.Classifier.Verify(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(),
            It.Is<GeoLocation>(l => l.Country == "USA" && l.Admin1Region == "NY"), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task UploadFile_DisplayNames_ComeFromTheLabel()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg));

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var sn = json.RootElement.GetProperty("speciesnet");
        Assert.That(sn.GetProperty("prediction_display_name").GetString(), Is.EqualTo("african elephant"));
        Assert.That(sn.GetProperty("top_classes")[1].GetProperty("display_name").GetString(), Is.EqualTo("african buffalo"));
    }

    [TestCase("/analyze/")]
    [TestCase("/analyze")]
    public async Task Analyze_WithPrompt_EchoesPromptAndAnalysis(string path)
    {
        using var response = await _client.PostAsync(path, Multipart.File(Jpeg).With("prompt", "Summarize this animal"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("prompt").GetString(), Is.EqualTo("Summarize this animal"));
        Assert.That(json.RootElement.GetProperty("speciesnet").GetProperty("prediction").GetString(), Is.EqualTo(Elephant));
        Assert.That(json.RootElement.GetProperty("filename").GetString(), Is.EqualTo("camera-trap.jpg"));
    }

    [Test]
    public async Task Analyze_MissingPrompt_Returns400KeyedByPrompt()
    {
        using var response = await _client.PostAsync("/analyze/", Multipart.File(Jpeg));
        await AssertValidationProblem(response, "prompt");
    }

    [Test]
    public async Task UploadFile_NoFileField_Returns400KeyedByFile()
    {
        var content = new MultipartFormDataContent().With("country", "USA");
        using var response = await _client.PostAsync("/uploadfile/", content);
        await AssertValidationProblem(response, "file");
    }

    [Test]
    public async Task UploadFile_FileUnderOtherFieldName_Returns400KeyedByFile()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg, field: "image"));
        await AssertValidationProblem(response, "file");
    }

    [Test]
    public async Task UploadFile_EmptyFile_Returns400()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File([]));
        var problem = await AssertValidationProblem(response, "file");
        Assert.That(problem, Does.Contain("empty"));
    }

    [TestCase(SKEncodedImageFormat.Bmp, "image/bmp", "x.bmp")]
    [TestCase(SKEncodedImageFormat.Png, "image/png", "x.png")]
    [TestCase(SKEncodedImageFormat.Webp, "image/webp", "x.webp")]
    public async Task UploadFile_EachAcceptedFormat_PassesIntake(SKEncodedImageFormat format, string mediaType, string name)
    {
        var bytes = format == SKEncodedImageFormat.Bmp ? Bmp24(8, 8) : TestImages.Solid(8, 8, SKColors.Teal, format);
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(bytes, name, mediaType));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    /// <summary>A minimal 24-bit BMP (Skia does not encode BMP).</summary>
    private static byte[] Bmp24(int width, int height)
    {
        var rowBytes = (width * 3 + 3) & ~3;
        var pixels = rowBytes * height;
        var bmp = new byte[54 + pixels];
        "BM"u8.CopyTo(bmp);
        BitConverter.TryWriteBytes(bmp.AsSpan(2), bmp.Length);
        BitConverter.TryWriteBytes(bmp.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bmp.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bmp.AsSpan(18), width);
        BitConverter.TryWriteBytes(bmp.AsSpan(22), height);
        BitConverter.TryWriteBytes(bmp.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bmp.AsSpan(28), (short)24);
        BitConverter.TryWriteBytes(bmp.AsSpan(34), pixels);
        for (var i = 54; i < bmp.Length; i++) bmp[i] = 0x80;
        return bmp;
    }

    [Test]
    public async Task UploadFile_TextContentType_Returns415()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Encoding.UTF8.GetBytes("hello"), "notes.txt", "text/plain"));
        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "image");
    }

    [Test]
    public async Task UploadFile_BytesThatAreNotAnImage_Returns415()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Encoding.UTF8.GetBytes("definitely not a jpeg, just text"), "fake.jpg", "image/jpeg"));
        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "first bytes");
    }

    [Test]
    public async Task UploadFile_MagicBytesDisagreeWithDeclaredType_Returns415NamingBoth()
    {
        var png = TestImages.Solid(8, 8, SKColors.Red, SKEncodedImageFormat.Png);
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(png, "x.jpg", "image/jpeg"));
        var body = await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "image/png");
        Assert.That(body, Does.Contain("image/jpeg"));
    }

    [TestCase(null)]
    [TestCase("application/octet-stream")]
    public async Task UploadFile_GenericContentTypeWithTextBytes_Returns415(string? contentType)
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Encoding.UTF8.GetBytes("definitely not an image"), "IMG_0001", contentType));
        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "first bytes");
    }

    [Test]
    public async Task UploadFile_OverSizeLimit_Returns413BeforeReadingTheBody()
    {
        var big = new byte[6 * 1024 * 1024];
        Jpeg.CopyTo(big, 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/uploadfile/") { Content = Multipart.File(big) };
        request.Headers.ExpectContinue = true;
        using var response = await _client.SendAsync(request);
        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "bytes");
    }

    [Test]
    public async Task UploadFile_OverSizeLimitWithoutContentLength_Returns413WhileStreaming()
    {
        var big = new byte[8 * 1024 * 1024];
        Jpeg.CopyTo(big, 0);
        using var multipart = Multipart.File(big);
        var body = await multipart.ReadAsByteArrayAsync();
        var head = "POST /uploadfile/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n" +
                   $"Content-Type: {multipart.Headers.ContentType}\r\n\r\n";

        var response = await RawHttp.SendAsync(_client.BaseAddress!, head, body, chunked: true);

        Assert.That(response.Status, Is.EqualTo(413), response.Head + response.Body);
        Assert.That(response.Head, Does.Contain("application/problem+json"));
    }

    /// <summary>
    /// Python's urllib (and many simple clients) write the whole body before reading. The server must read and discard
    /// the rest of an over-limit body (up to 4x the limit) and then answer, or the client sees "Broken pipe".
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task UploadFile_SixMegabyteBodyWrittenWholeBeforeReading_Gets413NamingTheFileLimit(bool chunked)
    {
        var big = new byte[6 * 1024 * 1024];
        Jpeg.CopyTo(big, 0);
        using var multipart = Multipart.File(big);
        var body = await multipart.ReadAsByteArrayAsync();
        var framing = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {body.Length}";
        var head = $"POST /uploadfile/ HTTP/1.1\r\nHost: localhost\r\n{framing}\r\nContent-Type: {multipart.Headers.ContentType}\r\n\r\n";

        var response = await RawHttp.SendAsync(_client.BaseAddress!, head, body, chunked, mustWriteWholeBody: true);

        Assert.That(response.Status, Is.EqualTo(413), response.Head + response.Body);
        Assert.That(response.Head, Does.Contain("application/problem+json"));
        using var json = JsonDocument.Parse(response.Body);
        Assert.That(json.RootElement.GetProperty("detail").GetString(), Does.Contain("5 MB (5,242,880 bytes)"));
    }

    [Test]
    public async Task UploadFile_BodyFarBeyondTheDrainBound_Refused413WithoutReadingIt()
    {
        // 40 MB declared: more than 4x the 5 MB + 64 KB limit, so the server answers at once and closes.
        var big = new byte[40 * 1024 * 1024];
        using var multipart = Multipart.File(big);
        var body = await multipart.ReadAsByteArrayAsync();
        var head = $"POST /uploadfile/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: {body.Length}\r\nContent-Type: {multipart.Headers.ContentType}\r\n\r\n";

        var response = await RawHttp.SendAsync(_client.BaseAddress!, head, body, chunked: false);

        Assert.That(response.Status, Is.EqualTo(413), response.Head + response.Body);
        Assert.That(response.Head, Does.Contain("Connection: close").IgnoreCase);
    }

    [Test]
    public async Task UploadFile_FileJustUnderLimitButOverConfiguredFileLimit_Returns413()
    {
        // 5 MB + 10 KB: the body fits the route's framing allowance, the file itself does not.
        var big = new byte[5 * 1024 * 1024 + 10 * 1024];
        Jpeg.CopyTo(big, 0);
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(big));
        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Test]
    public async Task UploadFile_BrokenMultipart_Returns400()
    {
        var body = "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF truncated without closing boundary";
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XYZ");
        using var response = await _client.PostAsync("/uploadfile/", content);
        await AssertProblem(response, HttpStatusCode.BadRequest, "multipart");
    }

    [Test]
    public async Task UploadFile_MultipartWithoutBoundary_Returns400()
    {
        using var content = new ByteArrayContent(Jpeg);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        using var response = await _client.PostAsync("/uploadfile/", content);
        Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task UploadFile_JsonBody_Returns415()
    {
        using var response = await _client.PostAsync("/uploadfile/", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task UploadFile_NonUtf8FileName_Returns400()
    {
        var head = Encoding.ASCII.GetBytes("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
        byte[] badName = [0x66, 0xFF, 0xFE, 0x2E, 0x6A, 0x70, 0x67];
        var mid = Encoding.ASCII.GetBytes("\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes("\r\n--XYZ--\r\n");
        using var content = new ByteArrayContent([.. head, .. badName, .. mid, .. Jpeg, .. tail]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XYZ");
        using var response = await _client.PostAsync("/uploadfile/", content);
        await AssertValidationProblem(response, "file");
    }

    [TestCase("country", "US", "country")]
    [TestCase("country", "U1A", "country")]
    [TestCase("latitude", "abc", "latitude")]
    [TestCase("latitude", "91", "latitude")]
    [TestCase("latitude", "4,1", "latitude")]
    [TestCase("latitude", "41,46", "latitude")]
    [TestCase("latitude", "NaN", "latitude")]
    public async Task UploadFile_BadLocationField_Returns400KeyedByField(string field, string value, string expectedKey)
    {
        var content = Multipart.File(Jpeg).With(field, value);
        if (field == "latitude") content.With("longitude", "10");
        using var response = await _client.PostAsync("/uploadfile/", content);
        await AssertValidationProblem(response, expectedKey);
    }

    [TestCase("/uploadfile/", "XYZ")]
    [TestCase("/analyze/", "XYZ")]
    [TestCase("/uploadfile/", "zzz")]
    public async Task SpeciesNetRoutes_UnknownCountryCode_Returns400NamingCountry(string route, string country)
    {
        var content = Multipart.File(Jpeg).With("country", country);
        if (route == "/analyze/") content.With("prompt", "What is it?");
        using var response = await _client.PostAsync(route, content);
        var body = await AssertValidationProblem(response, "country");
        Assert.That(body, Does.Contain($"'{country}'").And.Contain("ISO 3166-1"));
    }

    [Test]
    public async Task UploadFile_Admin1WithoutCountry_Returns400()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg).With("admin1_region", "NY"));
        await AssertValidationProblem(response, "admin1_region");
    }

    [Test]
    public async Task UploadFile_LatitudeWithoutLongitude_Returns400()
    {
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg).With("latitude", "10"));
        await AssertValidationProblem(response, "longitude");
    }

    [Test]
    public async Task UploadFile_EngineCannotDecode_Returns422()
    {
        _factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ImageDecodeException("The JPEG data is corrupt."));
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg));
        await AssertProblem(response, HttpStatusCode.UnprocessableEntity, "corrupt");
    }

    [Test]
    public async Task UploadFile_EngineThrowsUnexpected_Returns500WithoutInternals()
    {
        _factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("secret internal state"));
        using var response = await _client.PostAsync("/uploadfile/", Multipart.File(Jpeg));
        var body = await AssertProblem(response, HttpStatusCode.InternalServerError, "traceId");
        Assert.That(body, Does.Not.Contain("secret internal state"));
    }

    [Test]
    public async Task UnknownRoute_Returns404ProblemDetails()
    {
        using var response = await _client.GetAsync("/no-such-route");
        await AssertProblem(response, HttpStatusCode.NotFound, "GET / lists the routes");
    }

    [Test]
    public async Task GetOnUploadRoute_Returns405ProblemDetails()
    {
        using var response = await _client.GetAsync("/uploadfile/");
        await AssertProblem(response, HttpStatusCode.MethodNotAllowed, "not allowed");
    }

    [TestCase("/")]
    [TestCase("/healthz")]
    [TestCase("/livez")]
    public async Task Head_OnProbes_Returns200(string path)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    internal static async Task<string> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string expectedText)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        Assert.That(json.RootElement.TryGetProperty("traceId", out _), Is.True, body);
        Assert.That(json.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 }, Is.True, "every problem says what to do: " + body);
        Assert.That(body, Does.Contain(expectedText).IgnoreCase);
        return body;
    }

    internal static async Task<string> AssertValidationProblem(HttpResponseMessage response, string field)
    {
        var body = await AssertProblem(response, HttpStatusCode.BadRequest, field);
        using var json = JsonDocument.Parse(body);
        Assert.That(json.RootElement.TryGetProperty("errors", out var errors), Is.True, body);
        Assert.That(errors.TryGetProperty(field, out _), Is.True, $"errors should be keyed by '{field}': {body}");
        return body;
    }
}
