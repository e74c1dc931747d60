using Atlas.Domain.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Atlas.Infrastructure.Gemini;

public static class GeminiRegistration
{
    /// <summary>
    /// Registers <see cref="IGeminiGateway"/> as a typed HttpClient behind the standard resilience handler:
    /// a total deadline per call, a timeout per attempt, retries with exponential back-off and jitter on 408, 429,
    /// 5xx, timeouts and dropped connections, honouring <c>Retry-After</c> up to
    /// <see cref="GeminiOptions.MaxRetryAfterSeconds"/> (a longer one is not waited out), and a circuit breaker.
    /// The key header is redacted from HttpClient logs.
    /// </summary>
    public static IServiceCollection AddGemini(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GeminiOptions>()
            .Bind(configuration.GetSection(GeminiOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHealthChecks().AddCheck<GeminiHealthCheck>(GeminiHealthCheck.Name);
        // Polly reports a retried 429/500 or an attempt timeout at Error; for Atlas that is upstream trouble the
        // resilience handler is already dealing with, so it is a Warning (Error stays for faults of our own).
        services.Configure<Polly.Telemetry.TelemetryOptions>(telemetry => telemetry.SeverityProvider = args =>
            args.Event.Severity == Polly.Telemetry.ResilienceEventSeverity.Error ? Polly.Telemetry.ResilienceEventSeverity.Warning : args.Event.Severity);

        services.AddHttpClient<IGeminiGateway, GeminiGateway>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<GeminiOptions>>().Value;
                var baseUrl = options.BaseUrl.AbsoluteUri;
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                // The resilience handler owns the deadlines; this only stops a body that stalls after its headers.
                http.Timeout = options.TotalTimeout + TimeSpan.FromSeconds(5);
            })
            .RedactLoggedHeaders([GeminiGateway.ApiKeyHeader])
            .AddStandardResilienceHandler()
            .Configure((resilience, provider) =>
            {
                var options = provider.GetRequiredService<IOptions<GeminiOptions>>().Value;
                resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;
                resilience.AttemptTimeout.Timeout = options.AttemptTimeout;
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, 2 * options.AttemptTimeout.Ticks));
                resilience.CircuitBreaker.BreakDuration = GeminiGateway.BreakDuration;
                resilience.Retry.MaxRetryAttempts = options.MaxRetries;
                resilience.Retry.Delay = options.RetryDelay;
                resilience.Retry.BackoffType = DelayBackoffType.Exponential;
                resilience.Retry.UseJitter = true;
                resilience.Retry.ShouldRetryAfterHeader = true;
                var maxRetryAfter = options.MaxRetryAfter;
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(args.Outcome)
                    && !(args.Outcome.Result is { } response && GeminiGateway.RetryAfterOf(response) > maxRetryAfter));
            });
        return services;
    }
}
