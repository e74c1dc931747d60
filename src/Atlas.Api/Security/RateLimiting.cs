using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Atlas.Api.ErrorHandling;
using Microsoft.AspNetCore.RateLimiting;

namespace Atlas.Api.Security;

/// <summary>
/// Per-client-IP limits with ASP.NET Core's rate limiter: a fixed window on every route but the probes
/// (<c>RATE_LIMIT_REQUESTS</c> per <c>RATE_LIMIT_WINDOW_SECONDS</c>), and a stricter one on the Gemini routes, which
/// cost money per call. The client IP is the connection's peer, which the forwarded-headers middleware replaces
/// with the X-Forwarded-For client only when <c>FORWARDED_HEADERS=true</c> and the peer is a known proxy; IPv6
/// clients are grouped by /64, the block one subscriber usually holds. Refusals are 429 ProblemDetails with
/// Retry-After.
/// </summary>
internal static class RateLimiting
{
    public static void Configure(RateLimiterOptions limiter, RateLimitOptions settings)
    {
        var window = TimeSpan.FromSeconds(settings.RateLimitWindowSeconds);
        var geminiWindow = TimeSpan.FromSeconds(settings.GeminiRateLimitWindowSeconds);
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            settings.RateLimitRequests == 0 || RoutePolicies.IsProbe(context.Request.Path)
                ? RateLimitPartition.GetNoLimiter(string.Empty)
                : RateLimitPartition.GetFixedWindowLimiter(ClientKey(context), _ => FixedWindow(settings.RateLimitRequests, window)));
        limiter.AddPolicy(RoutePolicies.Gemini, context =>
            settings.GeminiRateLimitRequests == 0
                ? RateLimitPartition.GetNoLimiter(string.Empty)
                : RateLimitPartition.GetFixedWindowLimiter(ClientKey(context), _ => FixedWindow(settings.GeminiRateLimitRequests, geminiWindow)));
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var context = rejected.HttpContext;
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var hint) ? hint : window;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimiting))
                .LogInformation("Request refused: rate limit reached on {Path}", context.Request.Path);
            await ProblemWriter.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                $"This client has sent too many requests. Retry after {seconds} s.").ConfigureAwait(false);
        };
    }

    /// <summary>The partition key of a request's client: its IP, or its /64 network for IPv6.</summary>
    public static string ClientKey(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !IPAddress.IsLoopback(address))
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
        }
        return address.ToString();
    }

    private static FixedWindowRateLimiterOptions FixedWindow(int permits, TimeSpan window) => new()
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
