using Atlas.Client.Tests.Infrastructure;
using SkiaSharp;

namespace Atlas.Client.Tests;

/// <summary>
/// Error answers reach SDK users as typed exceptions: <c>AtlasApiException&lt;ValidationProblemDetails&gt;</c> for 400
/// and <c>AtlasApiException&lt;ProblemDetails&gt;</c> for the rest, with the status, title, detail, instance and
/// traceId of the ProblemDetails the service sent (and its headers, e.g. Retry-After).
/// </summary>
[TestFixture]
public sealed class ErrorTests
{
    private static FileParameter Png(string name = "grey.png") =>
        Pictures.File(TestImages.Solid(64, 64, new SKColor(128, 128, 128), SKEncodedImageFormat.Png, 90), name, "image/png");

    private static void AssertProblem(ProblemDetails problem, int status, string instance)
    {
        Assert.That(problem.Status, Is.EqualTo(status));
        Assert.That(problem.Title, Is.Not.Empty);
        Assert.That(problem.Detail, Is.Not.Empty);
        Assert.That(problem.Instance, Is.EqualTo(instance));
        Assert.That(problem.TraceId, Is.Not.Empty);
    }

    [Test]
    public async Task Invalid_fields_are_a_ValidationProblemDetails_naming_each_field()
    {
        await using var server = await AtlasServer.StartAsync();
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var e = Assert.ThrowsAsync<AtlasApiException<ValidationProblemDetails>>(() => atlas.UploadFileAsync(Png(), "US", null, 95, 10));

            Assert.That(e.StatusCode, Is.EqualTo(400));
            AssertProblem(e.Result, 400, "/uploadfile/");
            Assert.That(e.Result.Errors.Keys, Is.SupersetOf(new[] { "country", "latitude" }));
            Assert.That(e.Result.Errors["country"].Single(), Does.Contain("alpha-3"));
        }
    }

    [Test]
    public async Task A_file_that_is_not_an_image_is_415()
    {
        await using var server = await AtlasServer.StartAsync();
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var text = Pictures.File("just some text, not a picture"u8.ToArray(), "notes.txt", "text/plain");

            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.UploadFileAsync(text));

            AssertProblem(e.Result, 415, "/uploadfile/");
        }
    }

    [Test]
    public async Task An_image_that_cannot_be_decoded_is_422()
    {
        await using var server = await AtlasServer.StartAsync();
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var png = TestImages.Solid(64, 64, SKColors.Red, SKEncodedImageFormat.Png, 90);
            var broken = Pictures.File(png.Take(40).Concat(new byte[200]).ToArray(), "broken.png", "image/png");

            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.AnalyzeAsync("what?", broken));

            AssertProblem(e.Result, 422, "/analyze/");
        }
    }

    [Test]
    public async Task An_image_over_the_upload_limit_is_413()
    {
        await using var server = await AtlasServer.StartAsync(new Dictionary<string, string?> { ["Uploads:MaxFileBytes"] = "2000" });
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var big = Pictures.File(TestImages.Solid(400, 400, SKColors.Red, SKEncodedImageFormat.Jpeg, 90).Concat(new byte[4000]).ToArray(), "big.jpg", "image/jpeg");

            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.UploadFileAsync(big));

            AssertProblem(e.Result, 413, "/uploadfile/");
        }
    }

    [Test]
    public async Task Api_keys_answer_401_without_a_key_and_403_with_a_wrong_one()
    {
        await using var server = await AtlasServer.StartAsync(new Dictionary<string, string?> { ["Security:ApiKeys"] = "right-key-0123456789abcdef" });
        var (anonymous, http1) = server.CreateAtlasClient();
        var (wrong, http2) = server.CreateAtlasClient("wrong-key-0123456789abcdef");
        var (right, http3) = server.CreateAtlasClient("right-key-0123456789abcdef");
        using (http1)
        using (http2)
        using (http3)
        {
            var missing = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => anonymous.UploadFileAsync(Png()));
            AssertProblem(missing.Result, 401, "/uploadfile/");
            Assert.That(missing.Headers["WWW-Authenticate"].Single(), Does.StartWith("Bearer"));

            var refused = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => wrong.UploadFileAsync(Png()));
            AssertProblem(refused.Result, 403, "/uploadfile/");

            Assert.That((await right.UploadFileAsync(Png())).Filename, Is.EqualTo("grey.png"));
            Assert.That((await anonymous.GetServiceInfoAsync()).Routes, Is.Not.Empty, "GET / stays open");
        }
    }

    [Test]
    public async Task Too_many_requests_is_429_with_Retry_After()
    {
        await using var server = await AtlasServer.StartAsync(new Dictionary<string, string?>
        {
            ["Security:RateLimitRequests"] = "1",
            ["Security:RateLimitWindowSeconds"] = "60",
        });
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            await atlas.UploadFileAsync(Png());

            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.UploadFileAsync(Png()));

            AssertProblem(e.Result, 429, "/uploadfile/");
            Assert.That(int.Parse(e.Headers["Retry-After"].Single(), System.Globalization.CultureInfo.InvariantCulture), Is.InRange(1, 60));
        }
    }

    [Test]
    public async Task Gemini_without_a_key_is_503()
    {
        await using var server = await AtlasServer.StartAsync();
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.GeminiAnalyzeAsync("which animal?", [Png()]));

            AssertProblem(e.Result, 503, "/gemini/analyze/");
            Assert.That(e.Result.Detail, Does.Contain("GOOGLE_API_KEY"));
        }
    }

    [Test]
    public async Task Gemini_answers_that_are_not_json_for_every_image_are_502()
    {
        await using var gemini = await FakeGeminiServer.StartAsync();
        gemini.Fallback = FakeGeminiServer.Success("a fox, I think");
        await using var server = await AtlasServer.StartAsync(gemini.Settings("test-gemini-key"));
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.GeminiAnalyzeAsync("which animal?", [Png("a.png"), Png("b.png")]));

            AssertProblem(e.Result, 502, "/gemini/analyze/");
            Assert.That(e.Result.Detail, Does.Contain("not JSON"));
        }
    }

    [Test]
    public async Task Gemini_calls_that_time_out_are_504()
    {
        await using var gemini = await FakeGeminiServer.StartAsync();
        gemini.Fallback = FakeGeminiServer.Slow(TimeSpan.FromSeconds(10));
        await using var server = await AtlasServer.StartAsync(gemini.Settings("test-gemini-key", new Dictionary<string, string?>
        {
            ["Gemini:AttemptTimeoutSeconds"] = "1",
            ["Gemini:TotalTimeoutSeconds"] = "2",
            ["Gemini:MaxRetries"] = "1",
        }));
        var (atlas, http) = server.CreateAtlasClient();
        using (http)
        {
            var e = Assert.ThrowsAsync<AtlasApiException<ProblemDetails>>(() => atlas.GeminiAnalyzeAsync("which animal?", [Png()]));

            AssertProblem(e.Result, 504, "/gemini/analyze/");
        }
    }

    [Test]
    public void Required_fields_are_checked_by_the_client_before_sending()
    {
        var atlas = new AtlasClient("http://127.0.0.1:9/", new HttpClient());

        Assert.ThrowsAsync<ArgumentNullException>(() => atlas.UploadFileAsync(null!));
        Assert.ThrowsAsync<ArgumentNullException>(() => atlas.GeminiAnalyzeAsync(null!, [Png()]));
    }
}
