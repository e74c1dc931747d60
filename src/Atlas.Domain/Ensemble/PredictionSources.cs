using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Ensemble;

/// <summary>The <c>prediction_source</c> strings SpeciesNet reports (spec 4.6); clients match on them, so they are exact.</summary>
public static class PredictionSources
{
    public const string Detector = "detector";
    public const string Classifier = "classifier";
    public const string GeofenceRollupFailed = "classifier+geofence+rollup_failed";

    /// <summary><c>classifier+rollup_to_&lt;level&gt;</c> (rule R5).</summary>
    public static string Rollup(TaxonomyLevel level) => level switch
    {
        TaxonomyLevel.Genus => "classifier+rollup_to_genus",
        TaxonomyLevel.Family => "classifier+rollup_to_family",
        TaxonomyLevel.Order => "classifier+rollup_to_order",
        TaxonomyLevel.Class => "classifier+rollup_to_class",
        TaxonomyLevel.Kingdom => "classifier+rollup_to_kingdom",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown taxonomy level."),
    };

    /// <summary><c>classifier+geofence+rollup_to_&lt;level&gt;</c> (GEOFENCE; never genus).</summary>
    public static string GeofenceRollup(TaxonomyLevel level) => level switch
    {
        TaxonomyLevel.Family => "classifier+geofence+rollup_to_family",
        TaxonomyLevel.Order => "classifier+geofence+rollup_to_order",
        TaxonomyLevel.Class => "classifier+geofence+rollup_to_class",
        TaxonomyLevel.Kingdom => "classifier+geofence+rollup_to_kingdom",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "The geofence roll-up skips genus."),
    };
}
