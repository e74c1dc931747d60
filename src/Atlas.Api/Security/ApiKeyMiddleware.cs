using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Security;

/// <summary>
/// Optional API keys (<c>ATLAS_API_KEYS</c>, <c>METRICS_API_KEYS</c>). A guarded route answers 401 (with
/// <c>WWW-Authenticate</c>) when no key is sent and 403 when the key is unknown. Keys arrive as
/// <c>X-API-Key: key</c> or <c>Authorization: Bearer key</c>; they are compared in constant time and never logged.
/// Routes are guarded unless their metadata says otherwise (<see cref="RoutePolicies"/>), so a new route is closed
/// by default.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<SecurityOptions> options, ILogger<ApiKeyMiddleware> logger)
{
    public const string HeaderName = "X-API-Key";

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null) return next(context);
        var requirement = endpoint.Metadata.GetMetadata<ApiKeyRequirementAttribute>()?.Requirement ?? ApiKeyRequirement.Client;
        var keys = requirement switch
        {
            ApiKeyRequirement.Client => options.Value.ApiKeys,
            ApiKeyRequirement.Metrics => options.Value.MetricsApiKeys,
            _ => ApiKeySet.None,
        };
        if (!keys.Enabled) return next(context);

        var presented = PresentedKey(context.Request);
        if (presented is null)
        {
            logger.LogInformation("Request refused: no API key");
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"atlas\"";
            return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "API key required",
                $"Send your API key in the {HeaderName} header or as 'Authorization: Bearer <key>'.");
        }
        if (!keys.Contains(presented))
        {
            logger.LogWarning("Request refused: unknown API key");
            return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "API key not accepted",
                "The API key sent with this request is not valid for this route.");
        }
        return next(context);
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers[HeaderName];
        if (header.Count == 1 && !string.IsNullOrWhiteSpace(header[0])) return header[0]!.Trim();
        var authorization = request.Headers[HeaderNames.Authorization];
        if (authorization.Count == 1 && authorization[0] is { } value
            && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && value.Length > 7)
        {
            var token = value[7..].Trim();
            return token.Length > 0 ? token : null;
        }
        return null;
    }
}
