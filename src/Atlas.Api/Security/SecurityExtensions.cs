using Atlas.Api.Configuration;
using Atlas.Api.ErrorHandling;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Security;

/// <summary>
/// Registers and orders the production defaults. Each concern reads its own options class (CORS, trusted hosts,
/// proxies and HTTPS, rate limits, API keys, request limits, API docs), bound and validated like every setting
/// (see <see cref="SettingsCatalog"/>), so a bad setting stops the service at start naming its variable.
/// </summary>
public static class SecurityExtensions
{
    public static IServiceCollection AddAtlasSecurity(this IServiceCollection services)
    {
        services.AddSetting<CorsPolicyOptions>(CorsPolicyOptions.SectionName);
        services.AddSetting<TrustedHostsOptions>(TrustedHostsOptions.SectionName);
        services.AddSetting<ProxyOptions>(ProxyOptions.SectionName);
        services.AddSetting<RateLimitOptions>(RateLimitOptions.SectionName);
        services.AddSetting<ApiKeyOptions>(ApiKeyOptions.SectionName);
        services.AddSetting<RequestLimitsOptions>(RequestLimitsOptions.SectionName);
        services.AddSetting<ApiDocsOptions>(ApiDocsOptions.SectionName);

        // ALLOWED_HOSTS feeds ASP.NET Core's own "AllowedHosts" key; TrustedHostsMiddleware enforces it (with the
        // ProblemDetails body and security headers), so the built-in filter, which would answer first with a bare
        // 400, is told to let every host through.
        services.Configure<HostFilteringOptions>(hostFiltering => hostFiltering.AllowedHosts = ["*"]);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimitsOptions>>((kestrel, settings) =>
        {
            var s = settings.Value;
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = s.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = s.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = s.MaxRequestHeaderCount;
        });
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, settings) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Walk X-Forwarded-For from the right only while the hop that added an entry is a trusted proxy.
            forwarded.ForwardLimit = null;
            var networks = settings.Value.ProxyNetworks;
            if (networks.Count > 0)
            {
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
                foreach (var network in networks) forwarded.KnownIPNetworks.Add(network);
            }
        });
        services.AddOptions<HttpsRedirectionOptions>().Configure<IOptions<ProxyOptions>>((https, settings) =>
        {
            https.HttpsPort = settings.Value.HttpsPort;
            https.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
        });
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<CorsPolicyOptions>>((cors, settings) =>
            cors.AddDefaultPolicy(policy =>
            {
                var s = settings.Value;
                if (s.AllowAnyOrigin)
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins([.. s.Origins]).SetIsOriginAllowedToAllowWildcardSubdomains();
                }
                if (s.AllowAnyHeader)
                {
                    policy.AllowAnyHeader();
                }
                else
                {
                    policy.WithHeaders([.. s.Headers]);
                }
                policy.WithMethods(HttpMethods.Get, HttpMethods.Post)
                    .WithExposedHeaders("Retry-After")
                    .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
            }));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, settings) => RateLimiting.Configure(limiter, settings.Value));
        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<RequestLimitsOptions>>((timeouts, settings) =>
        {
            timeouts.DefaultPolicy = TimeoutPolicy(settings.Value.RequestTimeoutSeconds);
            timeouts.AddPolicy(RoutePolicies.Inference, TimeoutPolicy(settings.Value.InferenceTimeoutSeconds));
            timeouts.AddPolicy(RoutePolicies.Gemini, TimeoutPolicy(settings.Value.GeminiTimeoutSeconds));
        });
        services.AddAtlasApiKeys();
        services.AddAtlasApiDocs();
        return services;
    }

    /// <summary>Outermost: security headers on every answer, including those of the exception handler.</summary>
    public static IApplicationBuilder UseAtlasSecurityHeaders(this IApplicationBuilder app) =>
        app.UseMiddleware<SecurityHeadersMiddleware>();

    /// <summary>Before routing: forwarded headers, trusted hosts, HTTPS redirection, API docs.</summary>
    public static IApplicationBuilder UseAtlasEdgeSecurity(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var proxies = services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecurityExtensions));
        if (proxies.ForwardedHeaders) app.UseForwardedHeaders();
        app.UseMiddleware<TrustedHostsMiddleware>();
        if (proxies.ForceHttps)
        {
            app.UseWhen(context => !RoutePolicies.IsProbe(context.Request.Path), https => https.UseHttpsRedirection());
        }
        if (services.GetRequiredService<IOptions<ApiDocsOptions>>().Value.EnableApiDocs) app.UseAtlasApiDocs();
        if (!services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.ClientKeys.Enabled)
        {
            logger.LogWarning("ATLAS_API_KEYS is not set: the inference and Gemini routes are open to anyone who can reach this service");
        }
        return app;
    }

    /// <summary>After routing: CORS (preflights end here), rate limits, API keys (authentication + authorization), request timeouts.</summary>
    public static IApplicationBuilder UseAtlasAccessControl(this IApplicationBuilder app)
    {
        app.UseCors();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestTimeouts();
        return app;
    }

    /// <summary>The liveness probe: 200 whenever the process serves requests (readiness is <c>/healthz</c>).</summary>
    /// <remarks>
    /// A health-check endpoint that runs no check (liveness must not depend on the model or Gemini), answering
    /// <c>{"status":"alive"}</c>; GET and HEAD only.
    /// </remarks>
    public static IEndpointConventionBuilder MapAtlasLiveness(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHealthChecks("/livez", new HealthCheckOptions
            {
                Predicate = _ => false,
                ResponseWriter = (context, _) => context.Response.WriteAsJsonAsync(new Contracts.LivenessResponse("alive")),
            })
            .WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]))
            .AllowAnonymous()
            .ExcludeFromDescription(); // described by AtlasOpenApiDocumentProcessor

    private static RequestTimeoutPolicy TimeoutPolicy(int seconds) => new()
    {
        Timeout = TimeSpan.FromSeconds(seconds),
        TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
        WriteTimeoutResponse = context => ProblemWriter.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Request timeout",
            $"The request did not complete within {seconds} s."),
    };
}
