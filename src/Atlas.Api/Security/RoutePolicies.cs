using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;

namespace Atlas.Api.Security;

/// <summary>Who may call a route without an API key.</summary>
public enum ApiKeyRequirement
{
    /// <summary>One of <c>ATLAS_API_KEYS</c> (when any is configured). The default for every route.</summary>
    Client,

    /// <summary>One of <c>METRICS_API_KEYS</c> (when any is configured).</summary>
    Metrics,

    /// <summary>Open: probes and service metadata.</summary>
    None,
}

/// <summary>Endpoint metadata read by <see cref="ApiKeyMiddleware"/>.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class ApiKeyRequirementAttribute(ApiKeyRequirement requirement) : Attribute
{
    public ApiKeyRequirement Requirement { get; } = requirement;
}

/// <summary>
/// Which protections each route gets, decided in one place from its route pattern, so a route is covered even when
/// its controller says nothing: every route needs an API key unless it is listed as open here; <c>/gemini/…</c>
/// routes get the stricter Gemini rate limit and timeout; <c>/uploadfile</c> and <c>/analyze</c> get the inference
/// timeout. Controllers may also opt in explicitly with <c>[EnableRateLimiting(RoutePolicies.Gemini)]</c>,
/// <c>[RequestTimeout(RoutePolicies.Inference)]</c> or <c>[ApiKeyRequirement(...)]</c>.
/// </summary>
public static class RoutePolicies
{
    /// <summary>Rate-limit and request-timeout policy name of the Gemini routes.</summary>
    public const string Gemini = "gemini";

    /// <summary>Request-timeout policy name of the SpeciesNet routes.</summary>
    public const string Inference = "inference";

    private static readonly string[] OpenRoutes = ["", "healthz", "livez"];
    private static readonly string[] InferenceRoutes = ["uploadfile", "analyze"];

    /// <summary>Paths that serve probes and scrapers: never rate-limited, host-filtered or redirected to HTTPS.</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/livez") || path.StartsWithSegments("/metrics");

    /// <summary>Adds the route-pattern based metadata to every endpoint the builder creates.</summary>
    public static TBuilder WithAtlasRoutePolicies<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var pattern = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText?.Trim('/') ?? string.Empty;
            if (OpenRoutes.Contains(pattern, StringComparer.OrdinalIgnoreCase))
            {
                endpoint.Metadata.Add(new ApiKeyRequirementAttribute(ApiKeyRequirement.None));
            }
            else if (pattern.StartsWith("gemini", StringComparison.OrdinalIgnoreCase))
            {
                endpoint.Metadata.Add(new EnableRateLimitingAttribute(Gemini));
                endpoint.Metadata.Add(new RequestTimeoutAttribute(Gemini));
            }
            else if (InferenceRoutes.Contains(pattern, StringComparer.OrdinalIgnoreCase))
            {
                endpoint.Metadata.Add(new RequestTimeoutAttribute(Inference));
            }
        });
        return builder;
    }
}
