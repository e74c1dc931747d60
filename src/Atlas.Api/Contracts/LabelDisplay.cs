using Atlas.Domain.Taxonomy;

namespace Atlas.Api.Contracts;

/// <summary>Human-readable names for SpeciesNet's 7-field labels (common name, else scientific, else rank).</summary>
internal static class LabelDisplay
{
    public static string For(string label) =>
        SpeciesLabel.TryParse(label, out var parsed) && parsed is not null ? parsed.DisplayName : label;
}
