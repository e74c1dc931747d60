using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;
using SkiaSharp;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// Uploads declared as <c>application/octet-stream</c> or with no content type at all (curl's default for .webp, .bmp
/// and .tif, Python requests, a file without extension) are identified by their magic bytes, on every route, through
/// the real engine (demo bundle) and the real Gemini gateway (fake Gemini on loopback).
/// </summary>
[TestFixture]
public sealed class GenericContentTypeTests
{
    private const string GeminiKey = "AIzaAPI-TEST-key-generic-types";

    /// <summary>The generic declarations: none at all, and octet-stream.</summary>
    private static readonly string?[] GenericTypes = [null, "application/octet-stream"];

    private AtlasApiFactory _engine = null!;
    private HttpClient _engineClient = null!;
    private FakeGeminiServer _gemini = null!;
    private AtlasApiFactory _geminiFactory = null!;
    private HttpClient _geminiClient = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        (_engine, _engineClient) = await EngineHarness.StartAsync();
        _gemini = await FakeGeminiServer.StartAsync();
        _geminiFactory = new AtlasApiFactory(_gemini.Settings(GeminiKey));
        _geminiClient = _geminiFactory.CreateHttpClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _engineClient.Dispose();
        await _engine.DisposeAsync();
        _geminiClient.Dispose();
        await _geminiFactory.DisposeAsync();
        await _gemini.DisposeAsync();
    }

    /// <summary>One picture per supported format: a red 64x64 square (the demo's lion) on grey, or a tiny image where the encoder is ours.</summary>
    private static (string MediaType, byte[] Bytes) Picture(string format) => format switch
    {
        "jpeg" => ("image/jpeg", RedSquare(SKEncodedImageFormat.Jpeg)),
        "png" => ("image/png", RedSquare(SKEncodedImageFormat.Png)),
        "webp" => ("image/webp", RedSquare(SKEncodedImageFormat.Webp)),
        "gif" => ("image/gif", Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")),
        "bmp" => ("image/bmp", Bmp24(64, 48)),
        "tiff" => ("image/tiff", TestImages.Tiff(640, 480, (x, y) => x is >= 320 and < 384 && y is >= 192 and < 256 ? DemoColours.Red.Rgb() : DemoColours.Grey.Rgb())),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    private static byte[] RedSquare(SKEncodedImageFormat format) =>
        TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(640, 448, 704, 512), format);

    /// <summary>A grey 24-bit BMP (Skia does not encode BMP).</summary>
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

    private static readonly string[] AllFormats = ["jpeg", "png", "webp", "gif", "bmp", "tiff"];

    private async Task<JsonElement> PostAsync(string route, byte[] bytes, string fileName, string? contentType)
    {
        using var form = Multipart.File(bytes, fileName, contentType);
        if (route == "/analyze/") form.With("prompt", "What is it?");
        using var response = await _engineClient.PostAsync(new Uri(route, UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{route} {fileName} as '{contentType ?? "(none)"}': {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Test]
    public async Task SpeciesNetRoutes_EveryFormatWithGenericOrNoType_AnswerAsWithTheRealType(
        [Values("/uploadfile/", "/analyze/")] string route, [ValueSource(nameof(AllFormats))] string format)
    {
        var (mediaType, bytes) = Picture(format);
        var declared = (await PostAsync(route, bytes, $"picture.{format}", mediaType)).GetProperty("speciesnet");

        foreach (var generic in GenericTypes)
        {
            var answer = await PostAsync(route, bytes, "IMG_0001", generic);

            var s = answer.GetProperty("speciesnet");
            Assert.That(answer.GetProperty("filename").GetString(), Is.EqualTo("IMG_0001"));
            Assert.That(answer.GetProperty("content_size").GetInt64(), Is.EqualTo(bytes.Length));
            Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(declared.GetProperty("prediction").GetString()));
            Assert.That(s.GetProperty("classifications").ToString(), Is.EqualTo(declared.GetProperty("classifications").ToString()));
            Assert.That(s.GetProperty("detections").ToString(), Is.EqualTo(declared.GetProperty("detections").ToString()));
            if (route == "/analyze/") Assert.That(answer.GetProperty("prompt").GetString(), Is.EqualTo("What is it?"));
        }
        if (format is "jpeg" or "png" or "webp" or "tiff")
        {
            Assert.That(declared.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Lion), "the red square was decoded");
        }
    }

    [TestCase("jpeg")]
    [TestCase("png")]
    [TestCase("webp")]
    public async Task GeminiAnalyze_GeminiFormatWithGenericOrNoType_SendsTheRealType(string format)
    {
        var (mediaType, bytes) = Picture(format);
        foreach (var generic in GenericTypes)
        {
            _gemini.Reset();
            using var form = new MultipartFormDataContent().With("prompt", "What?");
            Multipart.AddFile(form, bytes, "IMG_0001", generic, "files");

            using var response = await _geminiClient.PostAsync(new Uri("/gemini/analyze/", UriKind.Relative), form);

            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            using var json = JsonDocument.Parse(body);
            Assert.That(json.RootElement.GetProperty("images")[0].GetProperty("media_type").GetString(), Is.EqualTo(mediaType));
            var sent = _gemini.Requests.Single().Json.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("inline_data");
            Assert.That(sent.GetProperty("mime_type").GetString(), Is.EqualTo(mediaType));
        }
    }

    [TestCase("gif")]
    [TestCase("bmp")]
    [TestCase("tiff")]
    public async Task GeminiAnalyze_OtherFormatWithGenericOrNoType_Returns415NamingGeminisFormats(string format)
    {
        var (_, bytes) = Picture(format);
        foreach (var generic in GenericTypes)
        {
            _gemini.Reset();
            using var form = new MultipartFormDataContent().With("prompt", "What?");
            Multipart.AddFile(form, bytes, "IMG_0001", generic, "files");

            using var response = await _geminiClient.PostAsync(new Uri("/gemini/analyze/", UriKind.Relative), form);

            await UploadContractTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "JPEG, PNG and WebP");
            Assert.That(_gemini.Requests, Is.Empty);
        }
    }

    [TestCase("/uploadfile/", null)]
    [TestCase("/uploadfile/", "application/octet-stream")]
    [TestCase("/analyze/", null)]
    [TestCase("/analyze/", "application/octet-stream")]
    public async Task SpeciesNetRoutes_GenericTypeWithNonImageBytes_Return415(string route, string? contentType)
    {
        using var form = Multipart.File("%PDF-1.7 not an image"u8.ToArray(), "IMG_0001", contentType);
        if (route == "/analyze/") form.With("prompt", "What is it?");

        using var response = await _engineClient.PostAsync(new Uri(route, UriKind.Relative), form);

        await UploadContractTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "first bytes");
    }

    [TestCase("jpeg", "image/png")]
    [TestCase("webp", "image/jpeg")]
    [TestCase("tiff", "image/bmp")]
    public async Task UploadFile_DeclaredImageTypeContradictingTheBytes_StillReturns415(string format, string declared)
    {
        var (real, bytes) = Picture(format);
        using var form = Multipart.File(bytes, "IMG_0001", declared);

        using var response = await _engineClient.PostAsync(new Uri("/uploadfile/", UriKind.Relative), form);

        var body = await UploadContractTests.AssertProblem(response, HttpStatusCode.UnsupportedMediaType, real);
        Assert.That(body, Does.Contain(declared));
    }
}
