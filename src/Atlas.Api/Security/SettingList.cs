namespace Atlas.Api.Security;

/// <summary>The list settings (<c>ALLOWED_ORIGINS</c>, <c>KNOWN_PROXIES</c>…): one string, comma- or semicolon-separated.</summary>
internal static class SettingList
{
    /// <summary>The items, trimmed, without empty ones; none for null or blank.</summary>
    public static IReadOnlyList<string> Split(string? text) =>
        text?.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
