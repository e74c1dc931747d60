using System.Collections.Frozen;
using System.Text.Json;
using Atlas.Domain.Errors;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Geofencing;

/// <summary>
/// SpeciesNet's geofence (spec 1.4, 4.5): per taxon (5-token full class string), the countries where it may
/// be predicted (<c>allow</c>) and where it may not (<c>block</c>), each country with an optional list of
/// admin1 regions (US state codes; an empty list means the whole country). It only steers the ensemble's
/// <c>prediction</c>; the raw classifier output is never changed. Country and region codes are compared
/// ordinally, exactly as given, like the reference. Immutable and safe to share between threads.
/// </summary>
public sealed class Geofence
{
    private readonly FrozenDictionary<string, Rule> _rules;

    private Geofence(FrozenDictionary<string, Rule> rules) => _rules = rules;

    /// <summary>A geofence without rules: nothing is ever blocked.</summary>
    public static Geofence Empty { get; } = new(FrozenDictionary<string, Rule>.Empty);

    /// <summary>Number of taxa that have rules.</summary>
    public int Count => _rules.Count;

    /// <summary>Reads and parses a geofence JSON file from disk.</summary>
    public static Geofence Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, Path.GetFileName(path));
    }

    /// <summary>Parses geofence JSON from a UTF-8 stream; <paramref name="sourceName"/> appears in error messages.</summary>
    public static Geofence Parse(Stream utf8Json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        return ParseDocument(() => JsonDocument.Parse(utf8Json), sourceName);
    }

    /// <summary>
    /// Parses <c>{"&lt;5-token key&gt;": {"allow": {ISO3: [admin1…]}, "block": {ISO3: [admin1…]}}}</c>; either
    /// part may be absent (or null). Throws <see cref="ModelBundleException"/> on malformed JSON or a wrong shape.
    /// </summary>
    public static Geofence Parse(string json, string sourceName = "geofence")
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseDocument(() => JsonDocument.Parse(json), sourceName);
    }

    /// <summary>
    /// BLOCKED of spec 4.5 (the geofence part; the ensemble adds the "geofencing disabled" switch): false when
    /// <paramref name="country"/> is empty or the taxon has no rules; true when a non-empty allow map omits the
    /// country, or lists admin1 regions for it and <paramref name="admin1Region"/> is given and not among them;
    /// true when the block map holds the country with an empty list (whole country) or with a list containing
    /// the given admin1 region. Block is checked after allow, so a block wins over an allow.
    /// </summary>
    public bool IsBlocked(SpeciesLabel label, string? country, string? admin1Region)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (string.IsNullOrEmpty(country) || !_rules.TryGetValue(label.FullClassString, out var rule)) return false;
        var hasAdmin1 = !string.IsNullOrEmpty(admin1Region);

        if (rule.Allow is { } allow)
        {
            if (!allow.TryGetValue(country, out var allowedRegions)) return true;
            if (hasAdmin1 && allowedRegions.Length > 0 && !allowedRegions.Contains(admin1Region)) return true;
        }

        if (rule.Block is { } block && block.TryGetValue(country, out var blockedRegions))
        {
            if (blockedRegions.Length == 0) return true;
            if (hasAdmin1 && blockedRegions.Contains(admin1Region)) return true;
        }
        return false;
    }

    private static Geofence ParseDocument(Func<JsonDocument> parse, string sourceName)
    {
        JsonDocument document;
        try
        {
            document = parse();
        }
        catch (JsonException ex)
        {
            throw new ModelBundleException(
                $"{sourceName}: not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Shape(sourceName, "the document", $"must be an object keyed by 5-token taxon strings, got {root.ValueKind}");
            }
            var rules = new Dictionary<string, Rule>(StringComparer.Ordinal);
            foreach (var taxon in root.EnumerateObject())
            {
                var where = $"taxon \"{taxon.Name}\"";
                if (taxon.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Shape(sourceName, where, $"must be an object with \"allow\"/\"block\", got {taxon.Value.ValueKind}");
                }
                Dictionary<string, string[]>? allow = null, block = null;
                foreach (var part in taxon.Value.EnumerateObject())
                {
                    // Other keys are ignored, as the reference does.
                    if (part.NameEquals("allow")) allow = ParseCountries(part.Value, sourceName, $"{where} \"allow\"");
                    else if (part.NameEquals("block")) block = ParseCountries(part.Value, sourceName, $"{where} \"block\"");
                }
                rules[taxon.Name] = new Rule(Freeze(allow), Freeze(block));
            }
            return new Geofence(rules.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    private static Dictionary<string, string[]>? ParseCountries(JsonElement element, string sourceName, string where)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Shape(sourceName, where, $"must be an object mapping country codes to lists of admin1 regions, got {element.ValueKind}");
        }
        var countries = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var country in element.EnumerateObject())
        {
            var regions = country.Value;
            switch (regions.ValueKind)
            {
                case JsonValueKind.Null:
                    countries[country.Name] = [];
                    break;
                case JsonValueKind.Array:
                    countries[country.Name] = [.. regions.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.String
                        ? r.GetString()!
                        : throw Shape(sourceName, $"{where} \"{country.Name}\"", $"must list admin1 regions as strings, found {r.ValueKind}"))];
                    break;
                default:
                    throw Shape(sourceName, $"{where} \"{country.Name}\"", $"must be a list of admin1 regions, got {regions.ValueKind}");
            }
        }
        return countries;
    }

    // An empty map behaves exactly like an absent one (spec 4.5 checks "non-empty"), so both become null.
    private static FrozenDictionary<string, string[]>? Freeze(Dictionary<string, string[]>? countries) =>
        countries is null || countries.Count == 0 ? null : countries.ToFrozenDictionary(StringComparer.Ordinal);

    private static ModelBundleException Shape(string sourceName, string where, string problem) =>
        new($"{sourceName}: {where} {problem}.");

    private sealed record Rule(FrozenDictionary<string, string[]>? Allow, FrozenDictionary<string, string[]>? Block);
}
