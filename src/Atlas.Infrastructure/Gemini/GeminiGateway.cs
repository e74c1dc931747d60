using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.Gemini;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Atlas.Infrastructure.Gemini;

/// <summary>
/// <see cref="IGeminiGateway"/> over Gemini's public REST API (<c>POST {base}/v1beta/models/{model}:generateContent</c>).
/// Retries, back-off, <c>Retry-After</c>, attempt timeout and total deadline come from the standard resilience
/// handler registered in <see cref="GeminiRegistration"/>; this class builds the request and turns every outcome
/// into an answer or one of the domain's upstream errors. The key travels only in the <c>x-goog-api-key</c>
/// header (never in the URL, logs or messages).
/// </summary>
internal sealed class GeminiGateway(HttpClient http, IOptions<GeminiOptions> options, ILogger<GeminiGateway> logger) : IGeminiGateway
{
    public const string ApiKeyHeader = "x-goog-api-key";

    /// <summary>How long the circuit breaker pauses calls (the standard handler's default), sent as <c>Retry-After</c>.</summary>
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    private readonly GeminiOptions _options = options.Value;

    public bool IsConfigured => _options.IsConfigured;

    public string Model => _options.ModelId;

    /// <summary>The request path, relative to <see cref="GeminiOptions.BaseUrl"/>.</summary>
    public string RelativePath => $"{_options.ApiVersion}/models/{Uri.EscapeDataString(_options.ModelId)}:generateContent";

    public async Task<GeminiAnswer> GenerateAsync(GeminiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsConfigured)
        {
            throw new ServiceUnavailableException("Gemini is not configured: set GOOGLE_API_KEY (configuration key Gemini:ApiKey).");
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, RelativePath) { Content = BuildContent(request) };
        message.Headers.Add(ApiKeyHeader, _options.ApiKey);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        string body;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutRejectedException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new UpstreamTimeoutException($"Gemini did not answer within {_options.TotalTimeoutSeconds:0.##} s (attempts of up to {_options.AttemptTimeoutSeconds:0.##} s, {_options.MaxRetries} retries).", ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new ServiceUnavailableException("Gemini calls are paused after repeated failures; try again shortly.", BreakDuration, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new UpstreamException($"Could not reach Gemini after {_options.MaxRetries} retries ({Scrub(ex.Message)}).", ex);
        }

        using (response)
        {
            logger.LogInformation("Gemini {Model} answered {Status} in {ElapsedMs:0} ms", Model, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response.IsSuccessStatusCode ? ReadAnswer(body) : throw ErrorFor(response, body);
        }
    }

    private static ByteArrayContent BuildContent(GeminiRequest request)
    {
        var parts = new List<RequestPart>(request.Images.Count + 1);
        foreach (var image in request.Images)
        {
            parts.Add(new RequestPart(InlineData: new InlineData(image.MediaType, Convert.ToBase64String(image.Content.Span))));
        }
        parts.Add(new RequestPart(Text: request.Prompt));
        var payload = new GenerateContentRequest(
            [new RequestContent("user", parts)],
            new GenerationConfig("application/json", request.ResponseSchema));
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(payload, GeminiJsonContext.Default.GenerateContentRequest));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static GeminiAnswer ReadAnswer(string body)
    {
        GenerateContentResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(body, GeminiJsonContext.Default.GenerateContentResponse);
        }
        catch (JsonException ex)
        {
            throw new UpstreamException("Gemini answered 200 with a body that is not generateContent JSON.", ex);
        }

        if (response?.PromptFeedback?.BlockReason is { } blocked)
        {
            throw new UpstreamException($"Gemini refused the prompt (block reason {blocked}).");
        }

        var candidate = response?.Candidates is { Count: > 0 } candidates
            ? candidates[0]
            : throw new UpstreamException("Gemini answered without any candidate.");
        var text = string.Concat(candidate.Content?.Parts?.Where(p => p.Thought != true).Select(p => p.Text) ?? []);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UpstreamException($"Gemini returned no text (finish reason {candidate.FinishReason ?? "unknown"}).");
        }

        var usage = response!.UsageMetadata is { } u
            ? new GeminiUsage(u.PromptTokenCount, u.CandidatesTokenCount, u.ThoughtsTokenCount, u.TotalTokenCount)
            : null;
        return new GeminiAnswer(text, candidate.FinishReason, usage, response.ModelVersion);
    }

    private AtlasException ErrorFor(HttpResponseMessage response, string body)
    {
        var error = TryReadError(body);
        var code = (int)response.StatusCode;
        var what = $"{code}{(error?.Status is { } status ? " " + status : string.Empty)}";
        var detail = error?.Message is { Length: > 0 } m ? $": {Scrub(m)}" : ".";
        var retryAfter = RetryAfterOf(response) ?? RetryDelayOf(error);
        var apiKeyRejected = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            || (error?.Details?.Any(d => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() == "API_KEY_INVALID") ?? false);

        return response.StatusCode switch
        {
            _ when apiKeyRejected => new ServiceUnavailableException($"Gemini refused the configured API key ({what}); check GOOGLE_API_KEY."),
            HttpStatusCode.TooManyRequests => new ServiceUnavailableException($"Gemini is rate-limiting this key ({what}){detail}", retryAfter),
            HttpStatusCode.ServiceUnavailable => new ServiceUnavailableException($"Gemini is overloaded ({what}){detail}", retryAfter),
            HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout => new UpstreamTimeoutException($"Gemini timed out ({what}){detail}"),
            _ => new UpstreamException($"Gemini answered {what} for model {Model}{detail}"),
        };
    }

    private static ErrorBody? TryReadError(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, GeminiJsonContext.Default.ErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The <c>Retry-After</c> header as a delay (seconds or HTTP date), or null.</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    /// <summary>Google's <c>RetryInfo</c> detail (<c>"retryDelay": "37s"</c>), which Gemini sends with 429s.</summary>
    private static TimeSpan? RetryDelayOf(ErrorBody? error)
    {
        foreach (var detail in error?.Details ?? [])
        {
            if (detail.ValueKind == JsonValueKind.Object
                && detail.TryGetProperty("retryDelay", out var delay) && delay.ValueKind == JsonValueKind.String
                && delay.GetString() is { Length: > 1 } text && text.EndsWith('s')
                && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }
        return null;
    }

    /// <summary>Removes the key from text that reaches clients or logs (belt and braces: Google's messages do not echo it).</summary>
    private string Scrub(string text) =>
        _options.ApiKey is { Length: > 0 } key ? text.Replace(key, "[redacted]", StringComparison.Ordinal) : text;
}
