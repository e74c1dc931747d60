using Atlas.Api.ErrorHandling;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Atlas.Api.Security;

/// <summary>
/// <c>ALLOWED_HOSTS</c>: answers 400 to a request whose Host header is not listed (DNS-rebinding and host-header
/// attacks). It replaces ASP.NET Core's host filtering so that the refusal carries the usual ProblemDetails body
/// and security headers. Probes (<c>/healthz</c>, <c>/livez</c>, <c>/metrics</c>) are exempt: orchestrators call
/// them by pod IP.
/// </summary>
internal sealed class TrustedHostsMiddleware(RequestDelegate next, IOptions<TrustedHostsOptions> options, ILogger<TrustedHostsMiddleware> logger)
{
    private readonly StringSegment[] _patterns = options.Value.Hosts.Select(h => new StringSegment(h)).ToArray();

    public Task InvokeAsync(HttpContext context)
    {
        var host = context.Request.Host;
        if (_patterns.Length == 0 || RoutePolicies.IsProbe(context.Request.Path)
            || (host.HasValue && HostString.MatchesAny(host.Host, _patterns)))
        {
            return next(context);
        }
        logger.LogInformation("Request refused: Host header {Host} is not in ALLOWED_HOSTS", Truncate(host.Value));
        return ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid host",
            "The Host header of this request is not one this service answers to.");
    }

    private static string Truncate(string? value) => value is null ? "(none)" : value.Length <= 100 ? value : value[..100];
}
