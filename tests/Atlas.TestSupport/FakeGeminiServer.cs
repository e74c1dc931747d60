using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Atlas.TestSupport;

/// <summary>
/// A stand-in for Gemini's REST API: a real HTTP server (Kestrel) on 127.0.0.1 with a random port that records
/// every request and answers from a script (or a responder), so the gateway's requests, retries, timeouts and
/// error handling are exercised over real sockets. Shared by the Infrastructure, Api and Client tests.
/// </summary>
public sealed class FakeGeminiServer : IAsyncDisposable
{
    /// <summary>One received request.</summary>
    public sealed record Recorded(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }

    /// <summary>Writes one answer (or breaks the connection).</summary>
    public delegate Task Reply(HttpContext context);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Reply> _script = new();
    private readonly ConcurrentQueue<Recorded> _requests = new();

    private FakeGeminiServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>
    /// Gateway settings pointing at this server with short timeouts and back-off, so retry and timeout tests run
    /// in milliseconds; <paramref name="overrides"/> replace or add keys.
    /// </summary>
    public Dictionary<string, string?> Settings(string apiKey, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gemini:ApiKey"] = apiKey,
            ["Gemini:BaseUrl"] = BaseUrl.ToString(),
            ["Gemini:Model"] = "gemini-test",
            ["Gemini:AttemptTimeoutSeconds"] = "2",
            ["Gemini:TotalTimeoutSeconds"] = "10",
            ["Gemini:MaxRetries"] = "2",
            ["Gemini:RetryDelaySeconds"] = "0.01",
            ["Gemini:MaxRetryAfterSeconds"] = "1",
        };
        foreach (var (key, value) in overrides ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>Requests received so far, in arrival order.</summary>
    public IReadOnlyList<Recorded> Requests => _requests.ToArray();

    /// <summary>When set, chooses the reply for each request (the script is ignored).</summary>
    public Func<Recorded, Reply>? Responder { get; set; }

    /// <summary>The reply once the script is exhausted.</summary>
    public Reply Fallback { get; set; } = Success("""{"category_label":"fox","description":"a fox","confidence":0.9}""");

    public static async Task<FakeGeminiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeGeminiServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Queues replies for the next requests, in order.</summary>
    public void Enqueue(params Reply[] replies)
    {
        foreach (var reply in replies) _script.Enqueue(reply);
    }

    /// <summary>Forgets the script, the responder and the recorded requests.</summary>
    public void Reset()
    {
        _script.Clear();
        _requests.Clear();
        Responder = null;
        Fallback = Success("""{"category_label":"fox","description":"a fox","confidence":0.9}""");
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new Recorded(context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Request.QueryString.Value ?? string.Empty, headers, body);
        _requests.Enqueue(recorded);
        var reply = Responder?.Invoke(recorded) ?? (_script.TryDequeue(out var next) ? next : Fallback);
        await reply(context);
    }

    /// <summary>A generateContent answer whose first candidate's text is <paramref name="text"/>.</summary>
    public static Reply Success(string text, string finishReason = "STOP", string modelVersion = "gemini-test-001") =>
        Json(200, JsonSerializer.Serialize(new
        {
            candidates = new[] { new { content = new { role = "model", parts = new[] { new { text } } }, finishReason, index = 0 } },
            usageMetadata = new { promptTokenCount = 1290, candidatesTokenCount = 25, thoughtsTokenCount = 40, totalTokenCount = 1355 },
            modelVersion,
            responseId = "fake",
        }));

    /// <summary>A Google error body (<c>{"error": {code, message, status, details}}</c>).</summary>
    public static Reply Error(int code, string status, string message, string? retryAfter = null, string? details = null) =>
        Json(code, $$$"""{"error":{"code":{{{code}}},"message":{{{JsonSerializer.Serialize(message)}}},"status":"{{{status}}}","details":[{{{details}}}]}}""", retryAfter);

    /// <summary>Any status and body.</summary>
    public static Reply Json(int status, string body, string? retryAfter = null) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        if (retryAfter is not null) context.Response.Headers.RetryAfter = retryAfter;
        await context.Response.WriteAsync(body, context.RequestAborted);
    };

    /// <summary>Waits (until the client gives up) before answering.</summary>
    public static Reply Slow(TimeSpan delay) => async context =>
    {
        await Task.Delay(delay, context.RequestAborted);
        await Success("""{"category_label":"late"}""")(context);
    };

    /// <summary>Drops the connection without an answer.</summary>
    public static Reply Drop => context =>
    {
        context.Abort();
        return Task.CompletedTask;
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
