using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using SkiaSharp;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// <c>POST /v1/render</c> over real HTTP with the real engine on the demo bundle: green 64x64 cells are people,
/// red cells animals (docs/design/onnx-and-demo-bundle.md), so the boxes land where the test painted them.
/// </summary>
[TestFixture]
public sealed class RenderEndToEndTests
{
    private static readonly SKRectI PersonBlock = new(256, 256, 384, 384); // 4 detector cells
    private static readonly SKRectI AnimalBlock = new(896, 640, 960, 704); // 1 cell

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

    /// <summary>Grey 1280x960 with a striped green (person) block and a flat red (animal) block.</summary>
    private static byte[] Scene(int width = 1280, int height = 960, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(128, 128, 128));
        for (var y = PersonBlock.Top; y < Math.Min(PersonBlock.Bottom, height); y++)
        {
            for (var x = PersonBlock.Left; x < Math.Min(PersonBlock.Right, width); x++)
            {
                bitmap.SetPixel(x, y, (x / 2) % 2 == 0 ? new SKColor(0, 255, 0) : new SKColor(0, 170, 0));
            }
        }

        using (var canvas = new SKCanvas(bitmap))
        using (var red = new SKPaint { Color = new SKColor(255, 0, 0) })
        {
            canvas.DrawRect(AnimalBlock, red);
        }

        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    private async Task<HttpResponseMessage> RenderAsync(byte[] image, string contentType = "image/png", params (string Field, string Value)[] fields)
    {
        using var form = Multipart.File(image, contentType == "image/png" ? "scene.png" : "scene.jpg", contentType);
        foreach (var (field, value) in fields) form.With(field, value);
        return await _client.PostAsync(new Uri("/v1/render", UriKind.Relative), form);
    }

    private static async Task<SKBitmap> DecodeJpegAsync(HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.That(bytes.AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD8 }), "a JPEG");
        return SKBitmap.Decode(bytes) ?? throw new AssertionException("the rendering does not decode");
    }

    /// <summary>Standard deviation of the green channel over a region: stripes give a large one, blur a small one.</summary>
    private static double GreenSpread(SKBitmap bitmap, SKRectI region)
    {
        var values = new List<double>();
        for (var y = region.Top; y < region.Bottom; y++)
            for (var x = region.Left; x < region.Right; x++)
                values.Add(bitmap.GetPixel(x, y).Green);
        var mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    [Test]
    public async Task Renders_a_decodable_jpeg_of_the_same_size_with_boxes_drawn()
    {
        using var response = await RenderAsync(Scene());
        using var bitmap = await DecodeJpegAsync(response);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((1280, 960)));
        Assert.That(response.Headers.GetValues("X-Atlas-Location-Source").Single(), Is.EqualTo("none"));
        Assert.That(response.Headers.Contains("X-Atlas-Prediction"), Is.True);

        // The animal box outline (orange, 255,140,0) runs along the red block's left edge, where the input was grey/red.
        var edge = bitmap.GetPixel(AnimalBlock.Left, AnimalBlock.Top + 40);
        Assert.That(edge.Red, Is.GreaterThan(200));
        Assert.That(edge.Green, Is.InRange(90, 190), $"orange outline expected, got {edge}");
        // Far from every box the image is untouched grey.
        var background = bitmap.GetPixel(60, 900);
        Assert.That(background.Red, Is.InRange(120, 136));
    }

    [Test]
    public async Task Exif_orientation_is_applied_so_a_rotated_photo_comes_back_upright()
    {
        var jpeg = new ExifWriter().Orientation(6).InsertInto(Scene(640, 480, SKEncodedImageFormat.Jpeg));
        using var response = await RenderAsync(jpeg, "image/jpeg");
        using var bitmap = await DecodeJpegAsync(response);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((480, 640)), "orientation 6 swaps width and height");
    }

    [Test]
    public async Task Max_size_scales_the_answer_down()
    {
        using var response = await RenderAsync(Scene(), fields: ("max_size", "320"));
        using var bitmap = await DecodeJpegAsync(response);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((320, 240)));
    }

    [Test]
    public async Task Blur_people_blurs_inside_human_boxes_and_nowhere_else()
    {
        // min_conf=1 draws no box, so only the blur differs between the two renderings.
        using var plainResponse = await RenderAsync(Scene(), fields: ("min_conf", "1"));
        using var plain = await DecodeJpegAsync(plainResponse);
        using var blurredResponse = await RenderAsync(Scene(), fields: [("min_conf", "1"), ("blur_people", "true")]);
        using var blurred = await DecodeJpegAsync(blurredResponse);

        var inside = new SKRectI(PersonBlock.Left + 16, PersonBlock.Top + 16, PersonBlock.Right - 16, PersonBlock.Bottom - 16);
        var before = GreenSpread(plain, inside);
        var after = GreenSpread(blurred, inside);
        Assert.That(before, Is.GreaterThan(25), "the stripes survive a plain rendering");
        Assert.That(after, Is.LessThan(before / 4), $"stripes blurred away (spread {before:0.0} -> {after:0.0})");

        var animal = new SKRectI(AnimalBlock.Left + 8, AnimalBlock.Top + 8, AnimalBlock.Right - 8, AnimalBlock.Bottom - 8);
        for (var y = animal.Top; y < animal.Bottom; y += 7)
            for (var x = animal.Left; x < animal.Right; x += 7)
                Assert.That(blurred.GetPixel(x, y), Is.EqualTo(plain.GetPixel(x, y)), "animal boxes are not blurred");
    }

    [Test]
    public async Task Location_comes_from_exif_gps_unless_the_request_gives_one()
    {
        var jpeg = new ExifWriter().Gps(48.2, 16.37).InsertInto(Scene(640, 480, SKEncodedImageFormat.Jpeg));
        using (var fromExif = await RenderAsync(jpeg, "image/jpeg"))
        {
            Assert.That(fromExif.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(fromExif.Headers.GetValues("X-Atlas-Location-Source").Single(), Is.EqualTo("exif"));
        }

        using var fromRequest = await RenderAsync(jpeg, "image/jpeg", ("country", "KEN"));
        Assert.That(fromRequest.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(fromRequest.Headers.GetValues("X-Atlas-Location-Source").Single(), Is.EqualTo("request"));
    }

    [TestCase("quality", "0", "quality")]
    [TestCase("quality", "101", "quality")]
    [TestCase("max_size", "8", "max_size")]
    [TestCase("min_conf", "1.5", "min_conf")]
    [TestCase("latitude", "95", "latitude")]
    [TestCase("admin1_region", "NY", "admin1_region")]
    public async Task Bad_options_are_400_problem_details_naming_the_field(string field, string value, string errorKey)
    {
        using var response = await RenderAsync(Scene(64, 64), fields: [(field, value), .. field == "latitude" ? new[] { ("longitude", "0") } : []]);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("errors").TryGetProperty(errorKey, out _), Is.True, json.RootElement.ToString());
    }

    [Test]
    public async Task Missing_file_is_400_and_a_text_file_is_refused_like_uploadfile()
    {
        using (var form = new MultipartFormDataContent { { new StringContent("x"), "country" } })
        using (var missing = await _client.PostAsync(new Uri("/v1/render", UriKind.Relative), form))
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(missing.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        }

        var text = "just some text, not an image"u8.ToArray();
        using var viaRender = await RenderAsync(text, "text/plain");
        using var viaUpload = await EngineHarness.UploadAsync(_client, text, "text/plain", "notes.txt");
        Assert.That(viaRender.StatusCode, Is.EqualTo(viaUpload.StatusCode));
        Assert.That((int)viaRender.StatusCode, Is.InRange(400, 499));
        Assert.That(viaRender.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }
}
