using System.Collections.Frozen;
using Atlas.Domain.Errors;

namespace Atlas.Domain.Taxonomy;

/// <summary>
/// The SpeciesNet taxonomy map (spec 1.3): 5-token full class string → label, used to find a label's ancestor
/// at a given rank (spec 4.4). Built like the reference: every taxonomy line keyed by its full class string
/// (a later duplicate key replaces an earlier one), the keys of BLANK, VEHICLE and UNKNOWN removed, then the
/// human key mapped to HUMAN and <c>;;;;</c> to ANIMAL. Immutable and safe to share between threads.
/// </summary>
public sealed class SpeciesTaxonomy
{
    private const string KingdomKey = ";;;;";

    private readonly FrozenDictionary<string, SpeciesLabel> _byFullClass;

    private SpeciesTaxonomy(FrozenDictionary<string, SpeciesLabel> byFullClass) => _byFullClass = byFullClass;

    /// <summary>Number of keys in the map (including the added <c>;;;;</c> → ANIMAL).</summary>
    public int Count => _byFullClass.Count;

    /// <summary>Builds the map from already parsed taxonomy labels.</summary>
    public static SpeciesTaxonomy FromLabels(IEnumerable<SpeciesLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var map = new Dictionary<string, SpeciesLabel>(StringComparer.Ordinal);
        foreach (var label in labels) map[label.FullClassString] = label;
        map.Remove(SpeciesLabel.Blank.FullClassString);
        map.Remove(SpeciesLabel.Vehicle.FullClassString);
        map.Remove(SpeciesLabel.Unknown.FullClassString);
        map[SpeciesLabel.Human.FullClassString] = SpeciesLabel.Human;
        map[KingdomKey] = SpeciesLabel.Animal;
        return new SpeciesTaxonomy(map.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Reads and parses a taxonomy file from disk.</summary>
    public static SpeciesTaxonomy Load(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>
    /// Parses a taxonomy file (one 7-field label per line, whitespace stripped, blank lines skipped). A bad line
    /// throws <see cref="ModelBundleException"/> naming <paramref name="sourceName"/> and the line number.
    /// </summary>
    public static SpeciesTaxonomy Parse(TextReader reader, string sourceName) => FromNumberedLines(LabelLines.Read(reader), sourceName);

    /// <inheritdoc cref="Parse(TextReader, string)"/>
    public static SpeciesTaxonomy FromLines(IEnumerable<string> lines, string sourceName) => FromNumberedLines(LabelLines.Number(lines), sourceName);

    private static SpeciesTaxonomy FromNumberedLines(IEnumerable<(string Text, int LineNumber)> lines, string sourceName) =>
        FromLabels(lines.Where(l => l.Text.Length > 0).Select(l => SpeciesLabel.Parse(l.Text, $"{sourceName} line {l.LineNumber}")));

    /// <summary>Looks up a 5-token full class string (e.g. <c>mammalia;carnivora;;;</c>).</summary>
    public bool TryGet(string fullClassString, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SpeciesLabel? label) =>
        _byFullClass.TryGetValue(fullClassString, out label);

    /// <summary>
    /// ANCESTOR(label, level) of spec 4.4: the taxonomy entry for the label's own ranks cut at
    /// <paramref name="level"/>, or null when the label has no name at that rank or the key is not in the map.
    /// A label already at that rank maps to itself (its own key). Kingdom maps every label with a class (and
    /// ANIMAL itself) to ANIMAL; BLANK and VEHICLE have no ancestors.
    /// </summary>
    public SpeciesLabel? Ancestor(SpeciesLabel label, TaxonomyLevel level)
    {
        ArgumentNullException.ThrowIfNull(label);
        string? key = level switch
        {
            TaxonomyLevel.Genus => label.Genus.Length == 0 ? null : $"{label.Class};{label.Order};{label.Family};{label.Genus};",
            TaxonomyLevel.Family => label.Family.Length == 0 ? null : $"{label.Class};{label.Order};{label.Family};;",
            TaxonomyLevel.Order => label.Order.Length == 0 ? null : $"{label.Class};{label.Order};;;",
            TaxonomyLevel.Class => label.Class.Length == 0 ? null : $"{label.Class};;;;",
            TaxonomyLevel.Kingdom => label.Class.Length == 0 && label != SpeciesLabel.Animal ? null : KingdomKey,
            _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown taxonomy level."),
        };
        return key is not null && _byFullClass.TryGetValue(key, out var ancestor) ? ancestor : null;
    }
}
