using System.Globalization;

namespace Atlas.Api.Configuration;

/// <summary>
/// Reads raw configuration strings and parses them by hand, so that a bad value produces a message that names the
/// environment variable operators actually set (<c>RATE_LIMIT_REQUESTS is 'abc', which is not a whole number…</c>)
/// rather than a binder error about a .NET configuration key. Errors are collected, not thrown, so one start
/// reports every mistake at once.
/// </summary>
internal sealed class SettingReader(IConfiguration configuration)
{
    private static readonly Dictionary<string, string> VariableByKey =
        EnvironmentAliases.Map.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    public List<string> Errors { get; } = [];

    /// <summary>The name to show for a configuration key: its environment variable when it has one.</summary>
    public static string NameOf(string key) =>
        VariableByKey.TryGetValue(key, out var variable) ? $"{variable} ({key})" : key;

    /// <summary>The trimmed value, or null when unset or blank.</summary>
    public string? Text(string key)
    {
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public int Integer(string key, int defaultValue, int min, int max) => (int)Long(key, defaultValue, min, max);

    public long Long(string key, long defaultValue, long min, long max) =>
        Parse(key, defaultValue, min, max, NumberStyles.Integer, "a whole number");

    public double Number(string key, double defaultValue, double min, double max) =>
        Parse(key, defaultValue, min, max, NumberStyles.Float, "a number");

    private T Parse<T>(string key, T defaultValue, T min, T max, NumberStyles styles, string what)
        where T : System.Numerics.INumber<T>
    {
        var text = Text(key);
        if (text is null) return defaultValue;
        if (T.TryParse(text, styles, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }
        Errors.Add(string.Create(CultureInfo.InvariantCulture, $"{NameOf(key)} is '{text}', which is not {what} between {min} and {max}."));
        return defaultValue;
    }

    /// <summary>One of <paramref name="choices"/> (any case); returns the choice as listed, or null when unset.</summary>
    public string? Choice(string key, params string[] choices)
    {
        var text = Text(key);
        if (text is null) return null;
        var match = choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
        if (match is null) Errors.Add($"{NameOf(key)} is '{text}'; expected one of: {string.Join(", ", choices)}.");
        return match;
    }

    /// <summary>true/false, 1/0, yes/no, on/off (any case); anything else is an error, never silently false.</summary>
    public bool Boolean(string key, bool defaultValue)
    {
        var text = Text(key);
        if (text is null) return defaultValue;
        switch (text.ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                return false;
            default:
                Errors.Add($"{NameOf(key)} is '{text}', which is not a boolean (use true or false).");
                return defaultValue;
        }
    }

    /// <summary>A comma- (or semicolon-) separated list, trimmed, without empty items.</summary>
    public IReadOnlyList<string> List(string key) =>
        Text(key)?.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    public void Error(string key, string problem) => Errors.Add($"{NameOf(key)} {problem}");
}
