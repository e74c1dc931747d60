using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Collections.Concurrent;
using System.Text.Json;
using Atlas.Application.ServiceInfo;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.Gemini;
using Atlas.Infrastructure.Gemini;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Gemini;

/// <summary>The real gateway, registered as in production, against <see cref="FakeGeminiServer"/> over loopback HTTP.</summary>
[TestFixture]
public sealed class GeminiGatewayTests
{
    private const string Key = "AIzaTEST-secret-key-0123456789";
    private const string Schema = """{"type":"object","properties":{"category_label":{"type":"string"}},"required":["category_label"]}""";
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4, 5];

    private FakeGeminiServer _server = null!;
    private readonly ListLoggerProvider _logs = new();

    [OneTimeSetUp]
    public async Task StartServer() => _server = await FakeGeminiServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _logs.Dispose();
    }

    [SetUp]
    public void ResetServer()
    {
        _server.Reset();
        _logs.Clear();
    }

    private ServiceProvider Services(Dictionary<string, string?>? overrides = null)
    {
        var settings = _server.Settings(Key, overrides);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        services.AddGemini(configuration);
        return services.BuildServiceProvider(validateScopes: true);
    }

    private static GeminiRequest Request(string prompt = "What animal is this?") =>
        new(prompt, [new GeminiImage("image/png", Png)], JsonDocument.Parse(Schema).RootElement.Clone());

    private async Task<GeminiAnswer> CallAsync(Dictionary<string, string?>? overrides = null)
    {
        await using var services = Services(overrides);
        return await services.GetRequiredService<IGeminiGateway>().GenerateAsync(Request(), CancellationToken.None);
    }

    private Task<T> CallFailsWith<T>(Dictionary<string, string?>? overrides = null) where T : Exception
    {
        var ex = Assert.ThrowsAsync<T>(() => CallAsync(overrides));
        Assert.That(ex!.Message, Does.Not.Contain(Key));
        return Task.FromResult(ex);
    }

    [Test]
    public async Task GenerateAsync_Success_SendsExactRequest()
    {
        await CallAsync();

        var request = _server.Requests.Single();
        Assert.That(request.Method, Is.EqualTo("POST"));
        Assert.That(request.Path, Is.EqualTo("/v1beta/models/gemini-test:generateContent"));
        Assert.That(request.Query, Is.Empty, "the key must not travel in the URL");
        Assert.That(request.Headers["x-goog-api-key"], Is.EqualTo(Key));
        Assert.That(request.Headers["Content-Type"], Does.StartWith("application/json"));

        var json = request.Json;
        var content = json.GetProperty("contents").EnumerateArray().Single();
        Assert.That(content.GetProperty("role").GetString(), Is.EqualTo("user"));
        var parts = content.GetProperty("parts").EnumerateArray().ToArray();
        Assert.That(parts, Has.Length.EqualTo(2));
        var inline = parts[0].GetProperty("inline_data");
        Assert.That(inline.GetProperty("mime_type").GetString(), Is.EqualTo("image/png"));
        Assert.That(inline.GetProperty("data").GetString(), Is.EqualTo(Convert.ToBase64String(Png)));
        Assert.That(parts[0].TryGetProperty("text", out _), Is.False);
        Assert.That(parts[1].GetProperty("text").GetString(), Is.EqualTo("What animal is this?"));
        var config = json.GetProperty("generationConfig");
        Assert.That(config.GetProperty("responseMimeType").GetString(), Is.EqualTo("application/json"));
        Assert.That(JsonElement.DeepEquals(config.GetProperty("responseJsonSchema"), JsonDocument.Parse(Schema).RootElement), Is.True);
    }

    [Test]
    public async Task GenerateAsync_Success_ReturnsTextFinishReasonUsageAndModelVersion()
    {
        _server.Enqueue(FakeGeminiServer.Success("""{"category_label":"red fox"}""", "STOP", "gemini-test-002"));

        var answer = await CallAsync();

        Assert.That(answer.Text, Is.EqualTo("""{"category_label":"red fox"}"""));
        Assert.That(answer.FinishReason, Is.EqualTo("STOP"));
        Assert.That(answer.ModelVersion, Is.EqualTo("gemini-test-002"));
        Assert.That(answer.Usage, Is.EqualTo(new GeminiUsage(1290, 25, 40, 1355)));
    }

    [Test]
    public async Task GenerateAsync_ThoughtAndSplitTextParts_JoinsOnlyTheAnswer()
    {
        _server.Enqueue(FakeGeminiServer.Json(200, """
            {"candidates":[{"content":{"parts":[{"text":"thinking...","thought":true},{"text":"{\"category_label\":"},{"text":"\"deer\"}"}]},"finishReason":"STOP"}]}
            """));

        var answer = await CallAsync();

        Assert.That(answer.Text, Is.EqualTo("""{"category_label":"deer"}"""));
        Assert.That(answer.Usage, Is.Null);
    }

    [TestCase("<html>Bad gateway</html>", "not generateContent JSON")]
    [TestCase("""{"candidates":[]}""", "without any candidate")]
    [TestCase("""{"promptFeedback":{"blockReason":"SAFETY"}}""", "block reason SAFETY")]
    [TestCase("""{"candidates":[{"finishReason":"MAX_TOKENS"}]}""", "finish reason MAX_TOKENS")]
    public async Task GenerateAsync_UnusableSuccessBody_BadGateway(string body, string expected)
    {
        _server.Enqueue(FakeGeminiServer.Json(200, body));

        var ex = await CallFailsWith<UpstreamException>();

        Assert.That(ex.Message, Does.Contain(expected));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task GenerateAsync_429ThenSuccess_RetriesAndAnswers()
    {
        _server.Enqueue(FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded"));

        var answer = await CallAsync();

        Assert.That(answer.Text, Does.Contain("fox"));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task GenerateAsync_429WithShortRetryAfter_WaitsAndRetries()
    {
        _server.Enqueue(FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Slow down", retryAfter: "1"));

        var answer = await CallAsync();

        Assert.That(answer.Text, Does.Contain("fox"));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task GenerateAsync_429WithLongRetryAfter_NotWaitedOutAndPassedOn()
    {
        _server.Fallback = FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retryAfter: "120");

        var ex = await CallFailsWith<ServiceUnavailableException>();

        Assert.That(_server.Requests, Has.Count.EqualTo(1));
        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(120)));
        Assert.That(ex.Message, Does.Contain("rate-limiting").And.Contain("Quota exceeded"));
    }

    [Test]
    public async Task GenerateAsync_429Storm_RetriesThenServiceUnavailableWithGooglesRetryDelay()
    {
        _server.Fallback = FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded",
            details: """{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}""");

        var ex = await CallFailsWith<ServiceUnavailableException>();

        Assert.That(_server.Requests, Has.Count.EqualTo(3), "first attempt + MaxRetries (2)");
        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(37)));
    }

    [Test]
    public async Task GenerateAsync_503Always_ServiceUnavailableOverloaded()
    {
        _server.Fallback = FakeGeminiServer.Error(503, "UNAVAILABLE", "The model is overloaded.");

        var ex = await CallFailsWith<ServiceUnavailableException>();

        Assert.That(ex.Message, Does.Contain("overloaded"));
        Assert.That(_server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task GenerateAsync_500Always_RetriedThenBadGateway()
    {
        _server.Fallback = FakeGeminiServer.Error(500, "INTERNAL", "An internal error has occurred.");

        var ex = await CallFailsWith<UpstreamException>();

        Assert.That(_server.Requests, Has.Count.EqualTo(3));
        Assert.That(ex.Message, Does.Contain("500 INTERNAL").And.Contain("An internal error has occurred."));
    }

    [Test]
    public async Task GenerateAsync_500ThenSuccess_Recovers()
    {
        _server.Enqueue(FakeGeminiServer.Error(500, "INTERNAL", "oops"), FakeGeminiServer.Error(502, "UNAVAILABLE", "oops"));

        var answer = await CallAsync();

        Assert.That(answer.Text, Does.Contain("fox"));
        Assert.That(_server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task GenerateAsync_400InvalidArgument_NotRetriedBadGatewayWithGeminisReason()
    {
        _server.Enqueue(FakeGeminiServer.Error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"foo\"."));

        var ex = await CallFailsWith<UpstreamException>();

        Assert.That(_server.Requests, Has.Count.EqualTo(1));
        Assert.That(ex.Message, Does.Contain("400 INVALID_ARGUMENT").And.Contain("Unknown name"));
    }

    [Test]
    public async Task GenerateAsync_KeyRejected_ServiceUnavailableWithoutEchoingKey()
    {
        _server.Enqueue(FakeGeminiServer.Error(400, "INVALID_ARGUMENT", $"API key not valid: {Key}",
            details: """{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}"""));

        var ex = await CallFailsWith<ServiceUnavailableException>();

        Assert.That(ex.Message, Does.Contain("refused the configured API key"));
    }

    [Test]
    public async Task GenerateAsync_ErrorMessageEchoesKey_KeyRedacted()
    {
        _server.Enqueue(FakeGeminiServer.Error(404, "NOT_FOUND", $"models/gemini-test is not found for key {Key}"));

        var ex = await CallFailsWith<UpstreamException>();

        Assert.That(ex.Message, Does.Contain("[redacted]").And.Contain("404 NOT_FOUND"));
    }

    [Test]
    public async Task GenerateAsync_SlowAnswers_GatewayTimeout()
    {
        _server.Fallback = FakeGeminiServer.Slow(TimeSpan.FromSeconds(30));

        var ex = await CallFailsWith<UpstreamTimeoutException>(new() { ["Gemini:AttemptTimeoutSeconds"] = "0.2", ["Gemini:TotalTimeoutSeconds"] = "1" });

        Assert.That(ex.Message, Does.Contain("did not answer within 1 s"));
        Assert.That(_server.Requests, Is.Not.Empty);
    }

    [Test]
    public async Task GenerateAsync_OneSlowAnswerThenFast_RetriedAfterAttemptTimeout()
    {
        _server.Enqueue(FakeGeminiServer.Slow(TimeSpan.FromSeconds(30)));

        var answer = await CallAsync(new() { ["Gemini:AttemptTimeoutSeconds"] = "1", ["Gemini:TotalTimeoutSeconds"] = "10" });

        Assert.That(answer.Text, Does.Contain("fox"));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task GenerateAsync_ConnectionsDropped_RetriedThenBadGateway()
    {
        _server.Fallback = FakeGeminiServer.Drop;

        var ex = await CallFailsWith<UpstreamException>();

        Assert.That(ex.Message, Does.Contain("Could not reach Gemini"));
        Assert.That(_server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task GenerateAsync_OneDroppedConnection_Recovers()
    {
        _server.Enqueue(FakeGeminiServer.Drop);

        var answer = await CallAsync();

        Assert.That(answer.Text, Does.Contain("fox"));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task GenerateAsync_NoKey_ServiceUnavailableWithoutCalling()
    {
        var ex = await CallFailsWith<ServiceUnavailableException>(new() { ["Gemini:ApiKey"] = null });

        Assert.That(ex.Message, Does.Contain("GOOGLE_API_KEY"));
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public async Task GenerateAsync_TraceLogging_HeaderLoggedButKeyNever()
    {
        await CallAsync();
        _server.Enqueue(FakeGeminiServer.Error(400, "INVALID_ARGUMENT", "bad"));
        Assert.ThrowsAsync<UpstreamException>(() => CallAsync());

        var text = string.Join("\n", _logs.Messages);
        Assert.That(text, Does.Contain("x-goog-api-key"), "HttpClient logged the request headers (redacted)");
        Assert.That(text, Does.Not.Contain(Key));
    }

    [Test]
    public async Task Model_WithModelsPrefix_PathUsesBareId()
    {
        await using var services = Services(new() { ["Gemini:Model"] = "models/gemini-other" });
        var gateway = services.GetRequiredService<IGeminiGateway>();

        await gateway.GenerateAsync(Request(), CancellationToken.None);

        Assert.That(gateway.Model, Is.EqualTo("gemini-other"));
        Assert.That(_server.Requests.Single().Path, Is.EqualTo("/v1beta/models/gemini-other:generateContent"));
    }

    [Test]
    public async Task Defaults_NoSettings_PublicEndpointAndCurrentFlashModel()
    {
        var services = new ServiceCollection().AddLogging().AddGemini(new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<GeminiOptions>>().Value;

        Assert.That(options.BaseUrl, Is.EqualTo(new Uri("https://generativelanguage.googleapis.com/")));
        Assert.That(options.ModelId, Is.EqualTo(GeminiOptions.DefaultModel));
        Assert.That(options.IsConfigured, Is.False);
    }

    [TestCase("Gemini:TotalTimeoutSeconds", "1", "greater than")]
    [TestCase("Gemini:BaseUrl", "ftp://example.com/", "http(s)")]
    [TestCase("Gemini:Model", "gemini test/../x", "model id")]
    public async Task Options_Invalid_FailValidation(string key, string value, string expected)
    {
        await using var services = Services(new() { [key] = value, ["Gemini:AttemptTimeoutSeconds"] = "2" });

        var ex = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<GeminiOptions>>().Value);
        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [TestCase(true, "ok")]
    [TestCase(false, "not_configured")]
    public async Task HealthCheck_ReportsConfiguredAndModelNeverTheKey(bool configured, string status)
    {
        await using var services = Services(configured ? null : new() { ["Gemini:ApiKey"] = "" });
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var check = report.Entries["gemini"];

        Assert.That(check.Description, Is.EqualTo(status));
        Assert.That(check.Status, Is.EqualTo(configured ? HealthStatus.Healthy : HealthStatus.Degraded));
        Assert.That(check.Tags, Does.Not.Contain(AtlasHealth.Required), "Gemini is not required for readiness");
        Assert.That(check.Data["configured"], Is.EqualTo(configured));
        Assert.That(check.Data["model"], Is.EqualTo("gemini-test"));
        Assert.That(check.Data.Values.Select(v => v?.ToString()), Has.None.EqualTo(Key));
    }

    /// <summary>Collects formatted log messages (including scopes' headers logged by HttpClient at Trace).</summary>
    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IEnumerable<string> Messages => _messages;

        public void Clear() => _messages.Clear();

        public ILogger CreateLogger(string categoryName) => new ListLogger(_messages);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                messages.Enqueue(state.ToString() ?? string.Empty);
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
        }
    }
}
