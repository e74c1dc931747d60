using System.Diagnostics.CodeAnalysis;
using Atlas.Domain.Errors;

namespace Atlas.Domain.Taxonomy;

/// <summary>
/// One SpeciesNet label: the 7-field string <c>uuid;class;order;family;genus;species;common name</c>
/// (spec 1.2). Empty fields mean "rank absent"; the common name may be empty. The raw string is kept exactly
/// as given because it is what SpeciesNet reports and compares (two labels are equal when their raw strings are).
/// </summary>
public sealed class SpeciesLabel : IEquatable<SpeciesLabel>
{
    private const int FieldCount = 7;

    /// <summary>BLANK: no animal, human or vehicle in the image.</summary>
    public static readonly SpeciesLabel Blank = Parse(SpecialLabels.Blank);

    /// <summary>ANIMAL: an animal of unknown taxon (the kingdom-level roll-up target).</summary>
    public static readonly SpeciesLabel Animal = Parse(SpecialLabels.Animal);

    /// <summary>HUMAN (<c>homo sapiens</c>).</summary>
    public static readonly SpeciesLabel Human = Parse(SpecialLabels.Human);

    /// <summary>VEHICLE.</summary>
    public static readonly SpeciesLabel Vehicle = Parse(SpecialLabels.Vehicle);

    /// <summary>UNKNOWN ("no cv result"): the ensemble could not decide.</summary>
    public static readonly SpeciesLabel Unknown = Parse(SpecialLabels.Unknown);

    private SpeciesLabel(string raw, string[] fields)
    {
        Raw = raw;
        Uuid = fields[0];
        Class = fields[1];
        Order = fields[2];
        Family = fields[3];
        Genus = fields[4];
        Species = fields[5];
        CommonName = fields[6];
        FullClassString = string.Join(';', fields, 1, 5);
    }

    /// <summary>The label exactly as parsed.</summary>
    public string Raw { get; }

    public string Uuid { get; }

    /// <summary>Taxonomic class (e.g. <c>mammalia</c>); empty when absent.</summary>
    public string Class { get; }

    /// <summary>Taxonomic order (e.g. <c>carnivora</c>); empty when absent.</summary>
    public string Order { get; }

    public string Family { get; }

    public string Genus { get; }

    /// <summary>Species epithet (e.g. <c>americanus</c>); empty when absent.</summary>
    public string Species { get; }

    /// <summary>English common name; may be empty.</summary>
    public string CommonName { get; }

    /// <summary>
    /// Fields 2-6 joined with <c>;</c> (always 5 tokens, e.g. <c>mammalia;carnivora;;;</c>): the key of the
    /// taxonomy map and of the geofence.
    /// </summary>
    public string FullClassString { get; }

    /// <summary>
    /// A name for people, chosen like SpeciesNet's MegaDetector converter does (spec 5.2): the common name;
    /// else "genus species"; else "&lt;genus&gt; species", "&lt;family&gt; family", "&lt;order&gt; order",
    /// "&lt;class&gt; class"; else "&lt;uuid&gt; category".
    /// </summary>
    public string DisplayName
    {
        get
        {
            if (CommonName.Length > 0) return CommonName;
            if (Genus.Length > 0) return Species.Length > 0 ? $"{Genus} {Species}" : $"{Genus} species";
            if (Family.Length > 0) return $"{Family} family";
            if (Order.Length > 0) return $"{Order} order";
            if (Class.Length > 0) return $"{Class} class";
            return $"{Uuid} category";
        }
    }

    /// <summary>Parses a 7-field label; throws <see cref="ModelBundleException"/> naming the label when it does not split into exactly 7 parts.</summary>
    public static SpeciesLabel Parse(string label) => Parse(label, source: null);

    /// <summary>Parses a 7-field label; returns false when it does not split into exactly 7 parts.</summary>
    public static bool TryParse([NotNullWhen(true)] string? label, [NotNullWhen(true)] out SpeciesLabel? result)
    {
        result = null;
        if (label is null) return false;
        var fields = label.Split(';');
        if (fields.Length != FieldCount) return false;
        result = new SpeciesLabel(label, fields);
        return true;
    }

    /// <summary>Parses a label read from <paramref name="source"/> (e.g. "labels.txt line 12"), which the error message names.</summary>
    internal static SpeciesLabel Parse(string label, string? source)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (TryParse(label, out var result)) return result;
        var where = source is null ? "" : $"{source}: ";
        var parts = label.Split(';').Length;
        throw new ModelBundleException(
            $"{where}label '{label}' has {parts} ';'-separated fields; expected 7 (uuid;class;order;family;genus;species;common name).");
    }

    public bool Equals(SpeciesLabel? other) => other is not null && string.Equals(Raw, other.Raw, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as SpeciesLabel);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Raw);

    public static bool operator ==(SpeciesLabel? left, SpeciesLabel? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SpeciesLabel? left, SpeciesLabel? right) => !(left == right);

    /// <summary>The raw label string.</summary>
    public override string ToString() => Raw;
}
