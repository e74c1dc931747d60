using Atlas.Application.Configuration;

namespace Atlas.Api.Security;

/// <summary>
/// API keys (section <c>Security</c>). Each setting is a comma list of keys, or the path of a file holding them (one
/// per line or comma-separated; blank lines and lines starting with '#' are skipped). A value that starts with '/'
/// or '.' is always taken as a path.
/// </summary>
public sealed class ApiKeyOptions
{
    public const string SectionName = "Security";

    private ApiKeySet? _clientKeys;
    private ApiKeySet? _metricsKeys;

    /// <summary>Keys that open the inference and Gemini routes (<c>ATLAS_API_KEYS</c>); none = open to anyone (the seed's behaviour).</summary>
    [ApiKeyList]
    public string? ApiKeys { get; set; }

    /// <summary>Keys that open <c>/metrics</c> (<c>METRICS_API_KEYS</c>); none = open.</summary>
    [ApiKeyList]
    public string? MetricsApiKeys { get; set; }

    /// <summary>The digests of <see cref="ApiKeys"/> (a key file is read once).</summary>
    public ApiKeySet ClientKeys => _clientKeys ??= ApiKeySet.From(ApiKeyListAttribute.Read(ApiKeys) ?? []);

    /// <summary>The digests of <see cref="MetricsApiKeys"/>.</summary>
    public ApiKeySet MetricsKeys => _metricsKeys ??= ApiKeySet.From(ApiKeyListAttribute.Read(MetricsApiKeys) ?? []);
}

/// <summary>A key list or key file; the messages never contain a key.</summary>
internal sealed class ApiKeyListAttribute : SettingAttribute
{
    public override IEnumerable<string> Problems(object? value)
    {
        var text = (value as string)?.Trim();
        if (string.IsNullOrEmpty(text)) yield break;
        if (IsPath(text) && !File.Exists(text))
        {
            yield return $"names the file '{text}', which does not exist.";
            yield break;
        }
        var keys = Read(text) ?? [];
        if (keys.Count == 0)
        {
            yield return "is set but holds no key.";
            yield break;
        }
        foreach (var problem in keys.Select(ApiKeySet.Problem).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            yield return problem;
        }
    }

    /// <summary>The keys of a setting: null when it is unset or names a missing file.</summary>
    public static IReadOnlyList<string>? Read(string? setting)
    {
        var text = setting?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        if (!IsPath(text)) return SettingList.Split(text);
        if (!File.Exists(text)) return null;
        return [.. File.ReadAllLines(text)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
    }

    private static bool IsPath(string text) => text.StartsWith('/') || text.StartsWith('.') || File.Exists(text);
}
