using Atlas.Api.Configuration;
using Atlas.Api.Security;
using Atlas.Domain.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;
using Serilog;
using Serilog.Context;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Atlas.Api.Observability;

/// <summary>Structured logging (Serilog), the Atlas meter and its Prometheus export.</summary>
public static class ObservabilityExtensions
{
    /// <summary>
    /// Serilog: JSON lines in production (compact format, with <c>@tr</c>/<c>@sp</c> trace and span ids), a readable
    /// line in Development. Every event logged while a request runs carries its <c>RequestId</c>; trace and span
    /// ids come from the request's Activity. Headers and bodies are never logged, so neither are API keys nor images.
    /// </summary>
    public static IServiceCollection AddAtlasObservability(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSerilog((provider, logger) =>
        {
            logger.ReadFrom.Configuration(configuration)
                .ReadFrom.Services(provider)
                .Enrich.FromLogContext()
                // A taken port is reported by Program in one line; the host's own error log of it would add a stack trace.
                .Filter.ByExcluding(e => ListenAddress.IsAddressInUse(e.Exception))
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                // The health-check service logs each probe's degraded/unhealthy result (every few seconds under an
                // orchestrator); Atlas logs model and Gemini state changes itself.
                .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal);
            if (environment.IsDevelopment())
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext} {RequestId} {TraceId}: {Message:lj} {Properties:j}{NewLine}{Exception}");
            }
            else
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
        });
        services.AddOptions<ObservabilityOptions>()
            .BindConfiguration(ObservabilityOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<AtlasMeter>();
        services.AddSingleton<IInferenceMetrics>(provider => provider.GetRequiredService<AtlasMeter>());
        services.AddSingleton<AtlasMetrics>();
        return services;
    }

    /// <summary>Outermost: the request id on every log line of the request, then one summary line per request.</summary>
    public static IApplicationBuilder UseAtlasRequestLogging(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            using (LogContext.PushProperty("RequestId", context.TraceIdentifier))
            {
                await next(context).ConfigureAwait(false);
            }
        });
        app.UseSerilogRequestLogging(options =>
        {
            // Client mistakes are not errors: 4xx at Information, 5xx at Error.
            // Client mistakes are Information; load shedding and dependency trouble (502/503/504) Warning, so a
            // busy or misconfigured upstream does not flood the error channel; Error is kept for real faults.
            options.GetLevel = (context, _, exception) => context.Response.StatusCode switch
            {
                _ when exception is not null => LogEventLevel.Error,
                StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout => LogEventLevel.Warning,
                >= 500 => LogEventLevel.Error,
                _ => LogEventLevel.Information,
            };
        });
        return app;
    }

    /// <summary>After routing (so the route is known): request counts and latencies by route, method and status.</summary>
    public static IApplicationBuilder UseAtlasHttpMetrics(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<ObservabilityOptions>>().Value.EnableMetrics) return app;
        var metrics = app.ApplicationServices.GetRequiredService<AtlasMetrics>();
        app.UseHttpMetrics(options =>
        {
            options.SetMetricFactory(metrics.Factory);
            // A custom "endpoint" label replaces prometheus-net's raw route pattern (see EndpointLabel).
            options.AddCustomLabel("endpoint", EndpointLabel.Of);
        });
        return app.Use((context, next) =>
        {
            EndpointLabel.Capture(context);
            return next(context);
        });
    }

    /// <summary><c>GET /metrics</c> (Prometheus text format) when <c>ENABLE_METRICS</c> is on; guarded by <c>METRICS_API_KEYS</c> when set.</summary>
    public static IEndpointRouteBuilder MapAtlasMetrics(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        if (!services.GetRequiredService<IOptions<ObservabilityOptions>>().Value.EnableMetrics) return endpoints;
        endpoints.MapMetrics("/metrics", services.GetRequiredService<AtlasMetrics>().Registry)
            .RequireAuthorization(AtlasPolicies.Metrics);
        return endpoints;
    }
}
