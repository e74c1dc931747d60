using System.Net;
using System.Text.Json;
using Atlas.Api.Security;
using Atlas.Api.Tests.Infrastructure;
using Moq;

namespace Atlas.Api.Tests.Security;

/// <summary>CORS, trusted hosts, HTTPS, security headers, API docs: one setting each, over real HTTP.</summary>
[TestFixture]
public sealed class EdgeTests
{
    private static HttpRequestMessage Preflight(string origin) => new(HttpMethod.Options, "/uploadfile/")
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", "POST" },
            { "Access-Control-Request-Headers", "x-api-key" },
        },
    };

    [Test]
    public async Task CorsPreflight_ListedOrigin_Allowed()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:AllowedOrigins"] = "https://app.example.org" });
        using var client = factory.CreateHttpClient();

        using var response = await client.SendAsync(Preflight("https://app.example.org"));

        Assert.That((int)response.StatusCode, Is.EqualTo(204));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "https://app.example.org" }));
        Assert.That(string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")), Does.Contain("X-API-Key").IgnoreCase);
    }

    private static HttpRequestMessage PreflightFor(string requestHeaders) => new(HttpMethod.Options, "/uploadfile/")
    {
        Headers =
        {
            { "Origin", "https://app.example.org" },
            { "Access-Control-Request-Method", "POST" },
            { "Access-Control-Request-Headers", requestHeaders },
        },
    };

    private static string AllowedHeaders(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Access-Control-Allow-Headers", out var values) ? string.Join(",", values) : "";

    [Test]
    public async Task CorsPreflight_HeadersClientsSend_AllAllowedByDefault()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        const string requested = "content-type,authorization,x-api-key,accept,accept-language,idempotency-key,x-request-id,traceparent";

        using var response = await client.SendAsync(PreflightFor(requested));

        Assert.That((int)response.StatusCode, Is.EqualTo(204));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
        var allowed = AllowedHeaders(response).Split(',', StringSplitOptions.TrimEntries);
        Assert.That(allowed, Is.SupersetOf(requested.Split(',')).Using((IEqualityComparer<string>)StringComparer.OrdinalIgnoreCase));
    }

    [Test]
    public async Task CorsPreflight_UnlistedHeader_NotAllowedByDefault()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.SendAsync(PreflightFor("x-api-key,x-secret-sauce"));

        // ASP.NET Core answers the preflight with the allowed list; the browser then refuses the unlisted header.
        Assert.That(AllowedHeaders(response), Does.Not.Contain("x-secret-sauce").IgnoreCase);
    }

    [TestCase("X-Secret-Sauce, X-API-Key")]
    [TestCase("*")]
    public async Task CorsPreflight_AllowedHeadersSetting_Honoured(string setting)
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:AllowedHeaders"] = setting });
        using var client = factory.CreateHttpClient();

        using var response = await client.SendAsync(PreflightFor("x-api-key,x-secret-sauce"));

        Assert.That((int)response.StatusCode, Is.EqualTo(204));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
        Assert.That(AllowedHeaders(response), Does.Contain("x-secret-sauce").IgnoreCase);
    }

    [Test]
    public async Task CorsPreflight_OtherOrigin_Denied()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:AllowedOrigins"] = "https://app.example.org" });
        using var client = factory.CreateHttpClient();

        using var response = await client.SendAsync(Preflight("https://evil.example.com"));

        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    [Test]
    public async Task CorsPreflight_DefaultStar_AllowsAnyOrigin()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.SendAsync(Preflight("https://anyone.example.com"));

        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
    }

    [Test]
    public async Task CorsSimpleGet_ListedOrigin_EchoesOrigin()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:AllowedOrigins"] = "https://*.example.org" });
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Origin", "https://www.example.org" } } };

        using var response = await client.SendAsync(request);

        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "https://www.example.org" }));
    }

    [Test]
    public async Task AllowedHosts_OtherHost_Returns400ProblemWithHeaders()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["AllowedHosts"] = "api.example.org" });
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("title").GetString(), Is.EqualTo("Invalid host"));
        Assert.That(json.RootElement.TryGetProperty("traceId", out _), Is.True);
        AssertSecurityHeaders(response);
    }

    [Test]
    public async Task AllowedHosts_ListedHost_Served()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["AllowedHosts"] = "api.example.org;*.example.net" });
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "eu.example.net";

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task AllowedHosts_ProbeByPodIp_Served()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["AllowedHosts"] = "api.example.org" });
        using var client = factory.CreateHttpClient();

        using var live = await client.GetAsync("/livez");
        using var ready = await client.GetAsync("/healthz");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ForceHttps_PlainHttp_RedirectsToHttps()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:ForceHttps"] = "true" });
        using var client = NoRedirects(factory);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/?x=1");
        request.Headers.Host = "api.example.org";

        using var response = await client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(308));
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo("https://api.example.org/?x=1"));
        Assert.That(response.Headers.Contains("Strict-Transport-Security"), Is.False, "HSTS only travels over HTTPS");
    }

    [Test]
    public async Task ForceHttps_Probe_NotRedirected()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:ForceHttps"] = "true" });
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/livez");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ForceHttps_BehindTlsProxy_ServedWithHsts()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Security:ForceHttps"] = "true",
            ["Security:ForwardedHeaders"] = "true",
        });
        using var client = factory.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "X-Forwarded-Proto", "https" } } };

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Strict-Transport-Security").Single(), Does.StartWith("max-age="));
    }

    [Test]
    public async Task ForwardedProto_WithoutForwardedHeaders_Ignored()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:ForceHttps"] = "true" });
        using var client = NoRedirects(factory);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "X-Forwarded-Proto", "https" } } };

        using var response = await client.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(308));
    }

    [TestCase("/docs")]
    [TestCase("/redoc")]
    [TestCase("/openapi/v1.json")]
    [TestCase("/openapi.json")]
    public async Task ApiDocs_Default_NotServed(string path)
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("/docs", SecurityHeadersMiddleware.DocsContentSecurityPolicy)]
    [TestCase("/redoc", SecurityHeadersMiddleware.RedocContentSecurityPolicy)]
    public async Task ApiDocs_Enabled_PagesServedWithDocsCsp(string path, string csp)
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:EnableApiDocs"] = "true" });
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Is.EqualTo(csp));
    }

    [Test]
    public async Task ApiDocs_Enabled_DocumentDescribesMultipartFields()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:EnableApiDocs"] = "true" });
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = json.RootElement.GetProperty("paths");
        foreach (var (path, fields) in new[] { ("/uploadfile/", new[] { "file", "country", "admin1_region", "latitude", "longitude" }), ("/analyze/", new[] { "file", "prompt" }) })
        {
            var schema = paths.GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content")
                .GetProperty("multipart/form-data").GetProperty("schema");
            var names = Properties(schema).ToArray();
            Assert.That(names, Is.SupersetOf(fields), path);
        }
        Assert.That(paths.TryGetProperty("/livez", out _), Is.True, "the liveness probe is documented (as /metrics is)");
    }

    [Test]
    public async Task ApiDocs_Enabled_DocumentIsReadyForSdkGenerators()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Security:EnableApiDocs"] = "true" });
        using var client = factory.CreateHttpClient();

        using var json = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var paths = json.RootElement.GetProperty("paths");
        var upload = paths.GetProperty("/uploadfile/").GetProperty("post");
        var required = upload.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data")
            .GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.That(required, Is.EqualTo(new[] { "file" }));
        Assert.That(upload.TryGetProperty("security", out _), Is.True, "protected operations declare the API key");
        var responses = upload.GetProperty("responses");
        Assert.That(responses.TryGetProperty("401", out _) && responses.TryGetProperty("403", out _) && responses.TryGetProperty("429", out _), Is.True);
        Assert.That(responses.GetProperty("415").GetProperty("content").TryGetProperty("application/problem+json", out _), Is.True);
        Assert.That(paths.GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _), Is.False, "probes stay open");
        var operationIds = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).Select(o => o.Value.GetProperty("operationId").GetString()).ToArray();
        Assert.That(operationIds, Is.Unique);
        Assert.That(paths.GetProperty("/").TryGetProperty("head", out _), Is.False, "HEAD probes are not part of the client API");
    }

    [Test]
    public async Task SecurityHeaders_Ok_Present()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        AssertSecurityHeaders(response);
    }

    [TestCase("/no-such-route")]
    [TestCase("/uploadfile/")]
    public async Task SecurityHeaders_ClientError_Present(string path)
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = path == "/uploadfile/" ? await client.PostAsync(path, new MultipartFormDataContent()) : await client.GetAsync(path);

        Assert.That((int)response.StatusCode, Is.InRange(400, 499));
        AssertSecurityHeaders(response);
    }

    [Test]
    public async Task SecurityHeaders_ServerError_Present()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<Atlas.Domain.SpeciesNet.GeoLocation>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("engine exploded"));

        using var response = await client.UploadAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("exploded"));
        AssertSecurityHeaders(response);
    }

    /// <summary>A plain client to the factory's Kestrel address that shows redirects instead of following them.</summary>
    private static HttpClient NoRedirects(AtlasApiFactory factory)
    {
        using var probe = factory.CreateHttpClient();
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = probe.BaseAddress };
    }

    internal static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
            Assert.That(response.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
            Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Is.EqualTo(SecurityHeadersMiddleware.JsonContentSecurityPolicy));
            Assert.That(response.Headers.Contains("Server"), Is.False);
        });
    }

    private static IEnumerable<string> Properties(JsonElement schema)
    {
        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var p in properties.EnumerateObject()) yield return p.Name;
        }
        foreach (var combinator in new[] { "allOf", "oneOf", "anyOf" })
        {
            if (!schema.TryGetProperty(combinator, out var parts)) continue;
            foreach (var name in parts.EnumerateArray().SelectMany(Properties)) yield return name;
        }
    }
}
