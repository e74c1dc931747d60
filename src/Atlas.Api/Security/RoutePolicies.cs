using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;

namespace Atlas.Api.Security;

/// <summary>
/// Rate-limit and timeout policies by route: <c>/gemini/…</c> routes get the stricter Gemini rate limit and timeout;
/// <c>/uploadfile</c> and <c>/analyze</c> get the inference timeout. Controllers may also opt in explicitly with
/// <c>[EnableRateLimiting(RoutePolicies.Gemini)]</c> or <c>[RequestTimeout(RoutePolicies.Inference)]</c>. API keys are
/// not decided here: they are authorization policies (<see cref="AtlasPolicies"/>), closed by default.
/// </summary>
public static class RoutePolicies
{
    /// <summary>Rate-limit and request-timeout policy name of the Gemini routes.</summary>
    public const string Gemini = "gemini";

    /// <summary>Request-timeout policy name of the SpeciesNet routes.</summary>
    public const string Inference = "inference";

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
            if (pattern.StartsWith("gemini", StringComparison.OrdinalIgnoreCase))
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
