using System.ComponentModel.DataAnnotations;
using System.Net;
using Atlas.Application.Configuration;

namespace Atlas.Api.Security;

/// <summary><c>ALLOWED_HOSTS</c>: ASP.NET Core's own top-level <c>AllowedHosts</c> key, enforced by <see cref="TrustedHostsMiddleware"/>.</summary>
public sealed class TrustedHostsOptions
{
    /// <summary>The key sits at the top of the configuration.</summary>
    public const string SectionName = "";

    /// <summary>Accepted Host header values (<c>api.example.org</c>, <c>*.example.org</c>), comma- or semicolon-separated; <c>*</c> or unset = any host.</summary>
    [HostNames]
    public string? AllowedHosts { get; set; }

    /// <summary>The host patterns; none = any host.</summary>
    public IReadOnlyList<string> Hosts => SettingList.Split(AllowedHosts) is var items && items.Contains("*") ? [] : items;
}

/// <summary>Reverse proxies and HTTPS (section <c>Security</c>).</summary>
public sealed class ProxyOptions
{
    public const string SectionName = "Security";

    /// <summary>Honour X-Forwarded-For/-Proto, but only from <see cref="KnownProxies"/> (loopback when none is listed).</summary>
    public bool ForwardedHeaders { get; set; }

    /// <summary>IP addresses or CIDR networks of the trusted proxies (<c>KNOWN_PROXIES</c>).</summary>
    [IpNetworks]
    public string? KnownProxies { get; set; }

    /// <summary>Redirect HTTP to HTTPS (probes excepted).</summary>
    public bool ForceHttps { get; set; }

    /// <summary>Port HTTP requests are redirected to when <see cref="ForceHttps"/> is on.</summary>
    [Range(1, 65_535)]
    public int HttpsPort { get; set; } = 443;

    /// <summary>The parsed <see cref="KnownProxies"/>.</summary>
    public IReadOnlyList<IPNetwork> ProxyNetworks =>
        [.. SettingList.Split(KnownProxies).Select(IpNetworksAttribute.Parse).OfType<IPNetwork>()];
}

/// <summary>The OpenAPI document and Swagger UI (section <c>Security</c>).</summary>
public sealed class ApiDocsOptions
{
    public const string SectionName = "Security";

    /// <summary>Serve <c>/docs</c> and <c>/openapi.json</c> (<c>ENABLE_API_DOCS</c>, default false).</summary>
    public bool EnableApiDocs { get; set; }
}

/// <summary>Host names without scheme or path.</summary>
internal sealed class HostNamesAttribute : SettingAttribute
{
    public override IEnumerable<string> Problems(object? value)
    {
        var items = SettingList.Split(value as string);
        if (items.Contains("*")) yield break;
        foreach (var item in items.Where(i => i.Contains('/', StringComparison.Ordinal) || i.Contains('@', StringComparison.Ordinal)))
        {
            yield return $"contains '{item}', which is not a host name (list names such as api.example.org or *.example.org, without scheme or path).";
        }
    }
}

/// <summary>IP addresses or CIDR networks.</summary>
internal sealed class IpNetworksAttribute : SettingAttribute
{
    public override IEnumerable<string> Problems(object? value) =>
        SettingList.Split(value as string).Where(item => Parse(item) is null)
            .Select(item => $"contains '{item}', which is neither an IP address nor a CIDR network (10.0.0.0/8).");

    /// <summary>An address (as a network of one) or a CIDR network; null for anything else.</summary>
    public static IPNetwork? Parse(string item)
    {
        if (IPAddress.TryParse(item, out var address)) return new IPNetwork(address, address.GetAddressBytes().Length * 8);
        return IPNetwork.TryParse(item, out var network) ? network : null;
    }
}
