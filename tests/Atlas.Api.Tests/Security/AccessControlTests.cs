using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Application.Inference;
using Atlas.Domain.SpeciesNet;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Atlas.Api.Tests.Security;

/// <summary>API keys, rate limits, the inference concurrency cap, timeouts and request limits, over real HTTP.</summary>
[TestFixture]
public sealed class AccessControlTests
{
    private static AtlasApiFactory WithKeys(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []) { ["Security:ApiKeys"] = $"{SecurityKit.GoodKey},{SecurityKit.OtherKey}" };
        return new AtlasApiFactory(settings, configureServices: SecurityKit.AddTestControllers).AnswerAll();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.TryGetProperty("traceId", out _), Is.True);
        return json.RootElement.Clone();
    }

    [Test]
    public async Task ApiKey_Missing_Returns401WithChallenge()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();

        using var response = await client.UploadAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
        var problem = await ProblemAsync(response);
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(401));
        EdgeTests.AssertSecurityHeaders(response);
    }

    [Test]
    public async Task ApiKey_Unknown_Returns403()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();

        using var response = await client.UploadAsync("atlas-wrong-key-0123456789abcdef");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await ProblemAsync(response)).GetProperty("status").GetInt32(), Is.EqualTo(403));
        factory.Classifier.Verify(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task ApiKey_XApiKeyHeader_Returns200()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();

        using var response = await client.UploadAsync(SecurityKit.OtherKey);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ApiKey_BearerToken_Returns200()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/analyze/") { Content = Multipart.File(SecurityKit.Jpeg).With("prompt", "what is it") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecurityKit.GoodKey);

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ApiKey_GeminiRoute_GuardedWithoutOptingIn()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();

        using var anonymous = await client.PostAsync("/gemini/test-probe", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/gemini/test-probe") { Headers = { { "X-API-Key", SecurityKit.GoodKey } } };
        using var keyed = await client.SendAsync(request);

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(keyed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("/")]
    [TestCase("/healthz")]
    [TestCase("/livez")]
    [TestCase("/metrics")]
    public async Task ApiKey_OpenRoutes_ServedWithoutKey(string path)
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task MetricsApiKeys_Set_GuardMetricsSeparately()
    {
        const string scraperKey = "prometheus-scraper-key-0123456789";
        await using var factory = WithKeys(new Dictionary<string, string?> { ["Security:MetricsApiKeys"] = scraperKey });
        using var client = factory.CreateHttpClient();

        using var anonymous = await client.GetAsync("/metrics");
        using var clientKey = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "X-API-Key", SecurityKit.GoodKey } } });
        using var scraper = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", $"Bearer {scraperKey}" } } });

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(clientKey.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(scraper.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task CorsPreflight_KeysRequired_AnsweredWithoutKey()
    {
        await using var factory = WithKeys();
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/uploadfile/")
        {
            Headers = { { "Origin", "https://app.example.org" }, { "Access-Control-Request-Method", "POST" } },
        };

        using var response = await client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(204));
    }

    [Test]
    public async Task RateLimit_RequestPastLimit_Returns429WithRetryAfter()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Security:RateLimitRequests"] = "3",
            ["Security:RateLimitWindowSeconds"] = "120",
        });
        using var client = factory.CreateHttpClient();

        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.GetAsync("/");
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"request {i + 1}");
        }
        using var response = await client.GetAsync("/");
        using var probe = await client.GetAsync("/healthz");

        Assert.That(response.StatusCode, Is.EqualTo((HttpStatusCode)429));
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.That(retryAfter, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(120)));
        Assert.That((await ProblemAsync(response)).GetProperty("status").GetInt32(), Is.EqualTo(429));
        EdgeTests.AssertSecurityHeaders(response);
        Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.OK), "probes are never rate-limited");
    }

    [Test]
    public async Task RateLimit_Gemini_StricterThanTheRest()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Security:RateLimitRequests"] = "100",
            ["Security:GeminiRateLimitRequests"] = "2",
        }, configureServices: SecurityKit.AddTestControllers);
        using var client = factory.CreateHttpClient();

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync("/gemini/test-probe", null);
            statuses.Add((int)response.StatusCode);
            if (i == 2) Assert.That(response.Headers.RetryAfter, Is.Not.Null);
        }
        using var other = await client.GetAsync("/");

        Assert.That(statuses, Is.EqualTo(new[] { 200, 200, 429 }));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task RateLimit_ForwardedFor_SeparatesClientsOnlyWhenTrusted()
    {
        static async Task<int[]> TwoClients(AtlasApiFactory factory)
        {
            using var client = factory.CreateHttpClient();
            var statuses = new List<int>();
            foreach (var ip in new[] { "203.0.113.7", "203.0.113.7", "198.51.100.9" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "X-Forwarded-For", ip } } };
                using var response = await client.SendAsync(request);
                statuses.Add((int)response.StatusCode);
            }
            return [.. statuses];
        }

        var limit = new Dictionary<string, string?> { ["Security:RateLimitRequests"] = "2" };
        await using var untrusted = new AtlasApiFactory(limit);
        await using var trusted = new AtlasApiFactory(new Dictionary<string, string?>(limit) { ["Security:ForwardedHeaders"] = "true" });

        Assert.That(await TwoClients(untrusted), Is.EqualTo(new[] { 200, 200, 429 }), "X-Forwarded-For is ignored by default");
        Assert.That(await TwoClients(trusted), Is.EqualTo(new[] { 200, 200, 200 }), "loopback is a known proxy once FORWARDED_HEADERS=true");
    }

    [Test]
    public async Task ConcurrencyCap_SlotsAndQueueFull_Returns503WithRetryAfter()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Security:MaxConcurrentInferences"] = "1",
            ["Security:InferenceQueueLimit"] = "1",
        });
        using var client = factory.CreateHttpClient();
        var release = new TaskCompletionSource<SpeciesNetPrediction>(TaskCreationOptions.RunContinuationsAsynchronously);
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns(() => new ValueTask<SpeciesNetPrediction>(release.Task));
        var gate = factory.Services.GetRequiredService<IInferenceGate>();

        var running = client.UploadAsync();
        await WaitUntil(() => gate.InFlight == 1);
        var queued = client.UploadAsync();
        await WaitUntil(() => gate.Queued == 1);
        using var refused = await client.UploadAsync();
        release.SetResult(SecurityKit.Prediction(GeoLocation.None));
        using var first = await running;
        using var second = await queued;

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        Assert.That((await ProblemAsync(refused)).GetProperty("status").GetInt32(), Is.EqualTo(503));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(gate.InFlight + gate.Queued, Is.Zero);
    }

    [Test]
    public async Task InferenceTimeout_EngineTooSlow_Returns504Problem()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:InferenceTimeoutSeconds"] = "1" });
        using var client = factory.CreateHttpClient();
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns(async (ReadOnlyMemory<byte> _, GeoLocation _, CancellationToken ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return SecurityKit.Prediction(GeoLocation.None);
            });

        using var response = await client.UploadAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.GatewayTimeout));
        Assert.That((await ProblemAsync(response)).GetProperty("title").GetString(), Is.EqualTo("Request timeout"));
    }

    [Test]
    public async Task HeaderLimits_TooManyHeaders_Refused()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:MaxRequestHeaderCount"] = "10" });
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        for (var i = 0; i < 20; i++) request.Headers.Add($"X-Filler-{i}", "x");

        using var response = await client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(431));
    }

    [Test]
    public async Task BodyLimit_RouteWithoutItsOwnLimit_Returns413Problem()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:MaxRequestBodyBytes"] = "2048" }, configureServices: SecurityKit.AddTestControllers);
        using var client = factory.CreateHttpClient();

        using var small = await client.PostAsync("/test/echo-body", new ByteArrayContent(new byte[1000]));
        using var large = await client.PostAsync("/test/echo-body", new ByteArrayContent(new byte[10_000]));

        Assert.That(small.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(large.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That((await ProblemAsync(large)).GetProperty("status").GetInt32(), Is.EqualTo(413));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
