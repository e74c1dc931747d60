using System.Security.Claims;
using System.Text.Encodings.Web;
using Atlas.Api.ErrorHandling;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Security;

/// <summary>
/// The policies of the optional API keys (<c>ATLAS_API_KEYS</c>, <c>METRICS_API_KEYS</c>). Every endpoint falls under
/// <see cref="Client"/> unless it says otherwise (<c>[AllowAnonymous]</c> on probes and metadata,
/// <see cref="Metrics"/> on <c>/metrics</c>), so a new route is closed by default. A policy whose key list is empty
/// lets everyone through, as the seed does when no keys are set.
/// </summary>
public static class AtlasPolicies
{
    /// <summary>Inference, Gemini and job routes: one of <c>ATLAS_API_KEYS</c>.</summary>
    public const string Client = "atlas-client";

    /// <summary><c>/metrics</c>: one of <c>METRICS_API_KEYS</c>.</summary>
    public const string Metrics = "atlas-metrics";

    /// <summary>The claim a key earns; its values are the key lists it was found in.</summary>
    public const string ScopeClaim = "atlas:key-scope";

    public static IServiceCollection AddAtlasApiKeys(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationHandler, ApiKeyScopeHandler>();
        var client = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).AddRequirements(new ApiKeyScopeRequirement(Client)).Build();
        services.AddAuthorizationBuilder()
            .AddPolicy(Client, client)
            .AddPolicy(Metrics, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).AddRequirements(new ApiKeyScopeRequirement(Metrics)))
            .SetFallbackPolicy(client);
        return services;
    }
}

/// <summary>Met when the scope's key list is empty (keys not in use) or the caller's key is in it.</summary>
public sealed record ApiKeyScopeRequirement(string Scope) : IAuthorizationRequirement;

internal sealed class ApiKeyScopeHandler(IOptions<ApiKeyOptions> options) : AuthorizationHandler<ApiKeyScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiKeyScopeRequirement requirement)
    {
        var keys = requirement.Scope == AtlasPolicies.Metrics ? options.Value.MetricsKeys : options.Value.ClientKeys;
        if (!keys.Enabled || context.User.HasClaim(AtlasPolicies.ScopeClaim, requirement.Scope))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Reads <c>X-API-Key: key</c> or <c>Authorization: Bearer key</c>, compares it in constant time with both key lists
/// (<see cref="ApiKeySet"/>; keys are never logged) and grants a scope claim per list that holds it. No key sent:
/// 401 with <c>WWW-Authenticate</c>; a key that no list holds, or one of the wrong list: 403. Both as ProblemDetails.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<ApiKeyOptions> security)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string HeaderName = "X-API-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (presented is null) return Task.FromResult(AuthenticateResult.NoResult());
        var claims = new List<Claim>(2);
        if (security.Value.ClientKeys.Contains(presented)) claims.Add(new Claim(AtlasPolicies.ScopeClaim, AtlasPolicies.Client));
        if (security.Value.MetricsKeys.Contains(presented)) claims.Add(new Claim(AtlasPolicies.ScopeClaim, AtlasPolicies.Metrics));
        if (claims.Count == 0) return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (PresentedKey(Request) is not null)
        {
            // A key was sent but no list holds it: refused, not missing.
            return HandleForbiddenAsync(properties);
        }
        Logger.LogInformation("Request refused: no API key");
        Response.Headers.WWWAuthenticate = "Bearer realm=\"atlas\"";
        return ProblemWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, "API key required",
            $"Send your API key in the {HeaderName} header or as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Logger.LogWarning("Request refused: unknown API key");
        return ProblemWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, "API key not accepted",
            "The API key sent with this request is not valid for this route.");
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
