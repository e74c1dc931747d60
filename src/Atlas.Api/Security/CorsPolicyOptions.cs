using Atlas.Application.Configuration;

namespace Atlas.Api.Security;

/// <summary>CORS: the origins and request headers browsers may use (section <c>Security</c>).</summary>
public sealed class CorsPolicyOptions
{
    public const string SectionName = "Security";

    /// <summary>The request headers clients send, allowed by CORS unless <c>ALLOWED_HEADERS</c> says otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedHeaders =
    [
        "Content-Type", "Authorization", ApiKeyAuthenticationHandler.HeaderName, "Accept", "Accept-Language", "Content-Language",
        "Idempotency-Key", "X-Request-ID", "X-Requested-With", "traceparent", "tracestate",
    ];

    /// <summary><c>ALLOWED_ORIGINS</c>: <c>*</c> (the default: any origin, without credentials) or a list of origins.</summary>
    [HttpOrigins]
    public string? AllowedOrigins { get; set; }

    /// <summary><c>ALLOWED_HEADERS</c>: header names, or <c>*</c> for any; unset = <see cref="DefaultAllowedHeaders"/>.</summary>
    [HeaderNames]
    public string? AllowedHeaders { get; set; }

    /// <summary>True when <see cref="AllowedOrigins"/> is unset or <c>*</c>.</summary>
    public bool AllowAnyOrigin => Origins.Count == 0;

    /// <summary>Normalised origins (<c>https://app.example.org</c>, <c>https://*.example.org</c>); none = any origin.</summary>
    public IReadOnlyList<string> Origins =>
        [.. SettingList.Split(AllowedOrigins).Where(o => o != "*").Select(o => o.ToLowerInvariant())];

    /// <summary>True when <see cref="AllowedHeaders"/> is <c>*</c>.</summary>
    public bool AllowAnyHeader => SettingList.Split(AllowedHeaders) is [ "*" ];

    /// <summary>The header names a preflight may ask for.</summary>
    public IReadOnlyList<string> Headers => SettingList.Split(AllowedHeaders) is { Count: > 0 } headers ? headers : DefaultAllowedHeaders;
}

/// <summary><c>*</c> alone, or http(s) origins (scheme://host[:port], no path; <c>*.</c> for any subdomain).</summary>
internal sealed class HttpOriginsAttribute : SettingAttribute
{
    public override IEnumerable<string> Problems(object? value)
    {
        var items = SettingList.Split(value as string);
        if (items.Count == 0 || (items.Count == 1 && items[0] == "*")) yield break;
        foreach (var item in items)
        {
            if (item == "*")
            {
                yield return "mixes '*' with explicit origins; use '*' alone or list the origins.";
                continue;
            }
            // A leading "*." is CORS's wildcard-subdomain form; check the rest as a normal origin.
            var probe = item.Replace("://*.", "://wildcard.", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
                || item.EndsWith('/'))
            {
                yield return $"contains '{item}', which is not an http(s) origin (scheme://host[:port], no path).";
            }
        }
    }
}

/// <summary><c>*</c> alone, or RFC 9110 field names.</summary>
internal sealed class HeaderNamesAttribute : SettingAttribute
{
    public override IEnumerable<string> Problems(object? value)
    {
        var items = SettingList.Split(value as string);
        if (items.Count == 0 || (items.Count == 1 && items[0] == "*")) yield break;
        foreach (var item in items)
        {
            if (item == "*" || !item.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                yield return $"contains '{item}', which is not a header name; list header names, or use '*' alone for any header.";
            }
        }
    }
}
