using System.Net;
using Atlas.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Security;

/// <summary>
/// Production hardening settings (CORS, trusted hosts, HTTPS, proxies, API keys, rate and concurrency limits,
/// request limits, API docs). Every value is parsed by <see cref="Load"/> from its configuration key (each one
/// has a flat environment variable in <see cref="EnvironmentAliases"/>); mistakes are collected and reported at
/// start by <see cref="SecurityOptionsValidator"/>, naming the variable.
/// </summary>
public sealed class SecurityOptions
{
    public const string AllowedOriginsKey = "Security:AllowedOrigins";
    public const string AllowedHeadersKey = "Security:AllowedHeaders";
    public const string AllowedHostsKey = "AllowedHosts";
    public const string RateLimitRequestsKey = "Security:RateLimitRequests";
    public const string RateLimitWindowKey = "Security:RateLimitWindowSeconds";
    public const string GeminiRateLimitRequestsKey = "Security:GeminiRateLimitRequests";
    public const string GeminiRateLimitWindowKey = "Security:GeminiRateLimitWindowSeconds";
    public const string ForwardedHeadersKey = "Security:ForwardedHeaders";
    public const string KnownProxiesKey = "Security:KnownProxies";
    public const string ForceHttpsKey = "Security:ForceHttps";
    public const string HttpsPortKey = "Security:HttpsPort";
    public const string EnableApiDocsKey = "Security:EnableApiDocs";
    public const string ApiKeysKey = "Security:ApiKeys";
    public const string MetricsApiKeysKey = "Security:MetricsApiKeys";
    public const string MaxConcurrentInferencesKey = "Security:MaxConcurrentInferences";
    public const string InferenceQueueLimitKey = "Security:InferenceQueueLimit";
    public const string RequestTimeoutKey = "Security:RequestTimeoutSeconds";
    public const string InferenceTimeoutKey = "Security:InferenceTimeoutSeconds";
    public const string GeminiTimeoutKey = "Security:GeminiTimeoutSeconds";
    public const string MaxRequestBodyBytesKey = "Security:MaxRequestBodyBytes";
    public const string MaxRequestHeadersBytesKey = "Security:MaxRequestHeadersBytes";
    public const string MaxRequestHeaderCountKey = "Security:MaxRequestHeaderCount";

    /// <summary>True when <c>ALLOWED_ORIGINS</c> is <c>*</c> (the default): any origin, without credentials.</summary>
    public bool AllowAnyOrigin { get; private set; } = true;

    /// <summary>Normalised origins (<c>https://app.example.org</c>, <c>https://*.example.org</c>).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; private set; } = [];

    /// <summary>The request headers clients send, allowed by CORS unless <c>ALLOWED_HEADERS</c> says otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedHeaders =
    [
        "Content-Type", "Authorization", ApiKeyAuthenticationHandler.HeaderName, "Accept", "Accept-Language", "Content-Language",
        "Idempotency-Key", "X-Request-ID", "X-Requested-With", "traceparent", "tracestate",
    ];

    /// <summary>Request headers a CORS preflight may ask for (<c>ALLOWED_HEADERS</c>).</summary>
    public IReadOnlyList<string> AllowedHeaders { get; private set; } = DefaultAllowedHeaders;

    /// <summary>True when <c>ALLOWED_HEADERS</c> is <c>*</c>: any request header.</summary>
    public bool AllowAnyHeader { get; private set; }

    /// <summary>Accepted Host header values (<c>api.example.org</c>, <c>*.example.org</c>); empty = any host.</summary>
    public IReadOnlyList<string> AllowedHosts { get; private set; } = [];

    /// <summary>
    /// Requests per client IP per window on every route but the probes; 0 turns the limit off. The default (20/s)
    /// stops a runaway client without throttling a batch uploader: camera-trap clients send thousands of images,
    /// and the inference gate, not this limit, is what protects the models.
    /// </summary>
    public int RateLimitRequests { get; private set; } = 1200;

    public int RateLimitWindowSeconds { get; private set; } = 60;

    /// <summary>The stricter per-client limit of the Gemini routes (each call costs money); 0 turns it off.</summary>
    public int GeminiRateLimitRequests { get; private set; } = 60;

    public int GeminiRateLimitWindowSeconds { get; private set; } = 60;

    /// <summary>Honour X-Forwarded-For/-Proto, but only from <see cref="KnownProxies"/> (loopback when none is listed).</summary>
    public bool ForwardedHeaders { get; private set; }

    public IReadOnlyList<IPNetwork> KnownProxies { get; private set; } = [];

    public bool ForceHttps { get; private set; }

    /// <summary>Port HTTP requests are redirected to when <see cref="ForceHttps"/> is on.</summary>
    public int HttpsPort { get; private set; } = 443;

    public bool EnableApiDocs { get; private set; }

    /// <summary>Keys that open the inference and Gemini routes; none = open to anyone (the seed's behaviour).</summary>
    public ApiKeySet ApiKeys { get; private set; } = ApiKeySet.None;

    /// <summary>Keys that open <c>/metrics</c>; none = open.</summary>
    public ApiKeySet MetricsApiKeys { get; private set; } = ApiKeySet.None;

    public int MaxConcurrentInferences { get; private set; } = 4;

    /// <summary>Inference requests allowed to wait for a slot; the next one gets 503 + Retry-After.</summary>
    public int InferenceQueueLimit { get; private set; } = 32;

    public int RequestTimeoutSeconds { get; private set; } = 30;

    public int InferenceTimeoutSeconds { get; private set; } = 120;

    public int GeminiTimeoutSeconds { get; private set; } = 300;

    /// <summary>Body limit of routes without their own (the upload routes set theirs from the upload limits).</summary>
    public long MaxRequestBodyBytes { get; private set; } = 1024 * 1024;

    public int MaxRequestHeadersBytes { get; private set; } = 32 * 1024;

    public int MaxRequestHeaderCount { get; private set; } = 100;

    /// <summary>Every mistake found while reading the settings, each naming its variable.</summary>
    internal IReadOnlyList<string> Errors { get; private set; } = [];

    /// <summary>Reads and checks every setting.</summary>
    internal void Load(IConfiguration configuration)
    {
        var read = new SettingReader(configuration);
        LoadOrigins(read);
        LoadHeaders(read);
        LoadHosts(read);
        RateLimitRequests = read.Integer(RateLimitRequestsKey, RateLimitRequests, 0, 1_000_000);
        RateLimitWindowSeconds = read.Integer(RateLimitWindowKey, RateLimitWindowSeconds, 1, 86_400);
        GeminiRateLimitRequests = read.Integer(GeminiRateLimitRequestsKey, GeminiRateLimitRequests, 0, 1_000_000);
        GeminiRateLimitWindowSeconds = read.Integer(GeminiRateLimitWindowKey, GeminiRateLimitWindowSeconds, 1, 86_400);
        ForwardedHeaders = read.Boolean(ForwardedHeadersKey, ForwardedHeaders);
        LoadProxies(read);
        ForceHttps = read.Boolean(ForceHttpsKey, ForceHttps);
        HttpsPort = read.Integer(HttpsPortKey, HttpsPort, 1, 65_535);
        EnableApiDocs = read.Boolean(EnableApiDocsKey, EnableApiDocs);
        ApiKeys = LoadKeys(read, ApiKeysKey);
        MetricsApiKeys = LoadKeys(read, MetricsApiKeysKey);
        MaxConcurrentInferences = read.Integer(MaxConcurrentInferencesKey, MaxConcurrentInferences, 1, 1024);
        InferenceQueueLimit = read.Integer(InferenceQueueLimitKey, InferenceQueueLimit, 0, 100_000);
        RequestTimeoutSeconds = read.Integer(RequestTimeoutKey, RequestTimeoutSeconds, 1, 3600);
        InferenceTimeoutSeconds = read.Integer(InferenceTimeoutKey, InferenceTimeoutSeconds, 1, 3600);
        GeminiTimeoutSeconds = read.Integer(GeminiTimeoutKey, GeminiTimeoutSeconds, 1, 3600);
        MaxRequestBodyBytes = read.Long(MaxRequestBodyBytesKey, MaxRequestBodyBytes, 1024, 1L << 31);
        MaxRequestHeadersBytes = read.Integer(MaxRequestHeadersBytesKey, MaxRequestHeadersBytes, 1024, 1024 * 1024);
        MaxRequestHeaderCount = read.Integer(MaxRequestHeaderCountKey, MaxRequestHeaderCount, 8, 1000);
        Errors = read.Errors;
    }

    private void LoadOrigins(SettingReader read)
    {
        var items = read.List(AllowedOriginsKey);
        if (items.Count == 0 || (items.Count == 1 && items[0] == "*")) return;
        var origins = new List<string>();
        foreach (var item in items)
        {
            if (item == "*")
            {
                read.Error(AllowedOriginsKey, "mixes '*' with explicit origins; use '*' alone or list the origins.");
                continue;
            }
            // A leading "*." is CORS's wildcard-subdomain form; check the rest as a normal origin.
            var probe = item.Replace("://*.", "://wildcard.", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0
                || item.EndsWith('/'))
            {
                read.Error(AllowedOriginsKey, $"contains '{item}', which is not an http(s) origin (scheme://host[:port], no path).");
                continue;
            }
            origins.Add(item.ToLowerInvariant());
        }
        AllowAnyOrigin = false;
        AllowedOrigins = origins;
    }

    private void LoadHeaders(SettingReader read)
    {
        var items = read.List(AllowedHeadersKey);
        if (items.Count == 0) return;
        if (items.Count == 1 && items[0] == "*")
        {
            AllowAnyHeader = true;
            return;
        }
        var headers = new List<string>();
        foreach (var item in items)
        {
            // RFC 9110 field names are tokens.
            if (item.Length == 0 || !item.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)) || item == "*")
            {
                read.Error(AllowedHeadersKey, $"contains '{item}', which is not a header name; list header names, or use '*' alone for any header.");
                continue;
            }
            headers.Add(item);
        }
        AllowedHeaders = headers;
    }

    private void LoadHosts(SettingReader read)
    {
        var items = read.List(AllowedHostsKey);
        if (items.Count == 0 || items.Contains("*")) return;
        foreach (var item in items)
        {
            if (item.Contains('/', StringComparison.Ordinal) || item.Contains('@', StringComparison.Ordinal))
            {
                read.Error(AllowedHostsKey, $"contains '{item}', which is not a host name (list names such as api.example.org or *.example.org, without scheme or path).");
            }
        }
        AllowedHosts = items;
    }

    private void LoadProxies(SettingReader read)
    {
        var networks = new List<IPNetwork>();
        foreach (var item in read.List(KnownProxiesKey))
        {
            if (IPAddress.TryParse(item, out var address))
            {
                networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else if (IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else
            {
                read.Error(KnownProxiesKey, $"contains '{item}', which is neither an IP address nor a CIDR network (10.0.0.0/8).");
            }
        }
        KnownProxies = networks;
    }

    /// <summary>
    /// A comma list of keys, or the path of a file holding them (one per line or comma-separated; blank lines and
    /// lines starting with '#' are skipped). A value that starts with '/' or '.' is always taken as a path.
    /// </summary>
    private static ApiKeySet LoadKeys(SettingReader read, string key)
    {
        var text = read.Text(key);
        if (text is null) return ApiKeySet.None;
        IEnumerable<string> keys;
        if (text.StartsWith('/') || text.StartsWith('.') || File.Exists(text))
        {
            if (!File.Exists(text))
            {
                read.Error(key, $"names the file '{text}', which does not exist.");
                return ApiKeySet.None;
            }
            keys = File.ReadAllLines(text)
                .Select(l => l.Trim())
                .Where(l => l.Length > 0 && !l.StartsWith('#'))
                .SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        else
        {
            keys = read.List(key);
        }
        var list = keys.ToList();
        if (list.Count == 0)
        {
            read.Error(key, "is set but holds no key.");
            return ApiKeySet.None;
        }
        foreach (var problem in list.Select(ApiKeySet.Problem).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            read.Error(key, problem);
        }
        return ApiKeySet.From(list);
    }
}

/// <summary>Fails start-up with every configuration mistake <see cref="SecurityOptions.Load"/> found.</summary>
internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options) =>
        options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
}
