using Atlas.Domain.Geofencing;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Ensemble;

/// <summary>
/// SpeciesNet's decision rules (spec 4.1-4.5): combines the classifier's top 5 and the detector's boxes into one
/// prediction, rolling scores up the taxonomy and honouring the geofence. Pure and immutable, so one instance
/// serves every request concurrently. All comparisons are strict, exactly as in the reference.
/// </summary>
public sealed class SpeciesNetEnsemble
{
    private const string AnimalBox = "animal";
    private const string HumanBox = "human";
    private const string VehicleBox = "vehicle";

    private static readonly TaxonomyLevel[] RollupLevels =
        [TaxonomyLevel.Genus, TaxonomyLevel.Family, TaxonomyLevel.Order, TaxonomyLevel.Class, TaxonomyLevel.Kingdom];

    // The geofence roll-up skips genus: a blocked species' genus siblings are likely blocked as well.
    private static readonly TaxonomyLevel[] GeofenceRollupLevels =
        [TaxonomyLevel.Family, TaxonomyLevel.Order, TaxonomyLevel.Class, TaxonomyLevel.Kingdom];

    private readonly SpeciesTaxonomy _taxonomy;
    private readonly Geofence _geofence;
    private readonly bool _geofenceEnabled;

    /// <param name="taxonomy">The bundle's taxonomy map (ancestors for roll-ups).</param>
    /// <param name="geofence">The bundle's geofence rules.</param>
    /// <param name="geofenceEnabled">False turns BLOCKED off everywhere (SpeciesNet's <c>--nogeofence</c>).</param>
    public SpeciesNetEnsemble(SpeciesTaxonomy taxonomy, Geofence geofence, bool geofenceEnabled = true)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        ArgumentNullException.ThrowIfNull(geofence);
        _taxonomy = taxonomy;
        _geofence = geofence;
        _geofenceEnabled = geofenceEnabled;
    }

    /// <summary>Whether BLOCKED is applied at all (reported by status endpoints).</summary>
    public bool GeofenceEnabled => _geofenceEnabled;

    /// <summary>
    /// Runs the rule chain of spec 4.1 for one image.
    /// </summary>
    /// <param name="classifications">The raw classifier top-k (k = 5 in SpeciesNet), highest first; at least one.</param>
    /// <param name="detections">Detections sorted by confidence, highest first (only the first is used); may be empty.</param>
    /// <param name="country">ISO 3166-1 alpha-3 country, or null/empty when unknown (then nothing is geofenced).</param>
    /// <param name="admin1Region">First-level region (US state code), or null/empty.</param>
    /// <exception cref="Errors.ModelBundleException">A class string is not a 7-field label.</exception>
    public EnsembleResult Combine(
        Classifications classifications,
        IReadOnlyList<Detection> detections,
        string? country,
        string? admin1Region)
    {
        ArgumentNullException.ThrowIfNull(classifications);
        ArgumentNullException.ThrowIfNull(detections);
        var classes = classifications.Classes;
        var scores = classifications.Scores;
        CheckCounts(classes.Count, scores.Count, nameof(classifications));
        return Combine(classes[0], scores, () => ParseAll(classes), detections, country, admin1Region);
    }

    /// <summary>
    /// The rule chain of spec 4.1 on labels already parsed (the engine's path: its bundle's labels go in as they
    /// were read, so no label string is built and parsed again). Same rules and results as the string overload.
    /// </summary>
    /// <param name="labels">The classifier top-k labels, highest first; at least one.</param>
    /// <param name="scores">One score per label.</param>
    /// <param name="detections">Detections sorted by confidence, highest first (only the first is used); may be empty.</param>
    /// <param name="country">ISO 3166-1 alpha-3 country, or null/empty when unknown (then nothing is geofenced).</param>
    /// <param name="admin1Region">First-level region (US state code), or null/empty.</param>
    public EnsembleResult Combine(
        IReadOnlyList<SpeciesLabel> labels,
        IReadOnlyList<double> scores,
        IReadOnlyList<Detection> detections,
        string? country,
        string? admin1Region)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(detections);
        CheckCounts(labels.Count, scores.Count, nameof(labels));
        var array = labels as SpeciesLabel[] ?? [.. labels];
        return Combine(array[0].Raw, scores, () => array, detections, country, admin1Region);
    }

    private static void CheckCounts(int classes, int scores, string paramName)
    {
        if (classes == 0 || classes != scores)
        {
            throw new ArgumentException(
                $"Classifications need at least one class and one score per class (got {classes} classes, {scores} scores).",
                paramName);
        }
    }

    private static SpeciesLabel[] ParseAll(IReadOnlyList<string> classes)
    {
        var labels = new SpeciesLabel[classes.Count];
        for (var i = 0; i < labels.Length; i++) labels[i] = SpeciesLabel.Parse(classes[i]);
        return labels;
    }

    /// <summary>
    /// The rules themselves. R1-R3 read only the top-1 string; the labels are asked for after them, so on the
    /// ensemble route a malformed class fails only where the reference would read it.
    /// </summary>
    private EnsembleResult Combine(
        string c0,
        IReadOnlyList<double> scores,
        Func<SpeciesLabel[]> parsedLabels,
        IReadOnlyList<Detection> detections,
        string? country,
        string? admin1Region)
    {
        var (dc, dp) = detections.Count > 0 ? (detections[0].Label, detections[0].Conf) : (AnimalBox, 0.0);
        var s0 = scores[0];

        // R1: a human box.
        if (dc == HumanBox)
        {
            if (dp > 0.7) return new(SpecialLabels.Human, dp, PredictionSources.Detector);
            if (dp > 0.2 && (c0 == SpecialLabels.Human || c0 == SpecialLabels.Vehicle) && s0 > 0.5)
            {
                return new(SpecialLabels.Human, s0, PredictionSources.Classifier);
            }
        }

        // R2: a vehicle box.
        if (dc == VehicleBox)
        {
            if (dp > 0.2 && c0 == SpecialLabels.Human && s0 > 0.5) return new(SpecialLabels.Human, s0, PredictionSources.Classifier);
            if (dp > 0.7) return new(SpecialLabels.Vehicle, dp, PredictionSources.Detector);
            if (dp > 0.2 && c0 == SpecialLabels.Vehicle && s0 > 0.4) return new(SpecialLabels.Vehicle, s0, PredictionSources.Classifier);
        }

        // R3: blank.
        if (c0 == SpecialLabels.Blank && ((s0 > 0.5 && dp < 0.2) || s0 > 0.99))
        {
            return new(SpecialLabels.Blank, s0, PredictionSources.Classifier);
        }

        var labels = parsedLabels();

        // R4: a confident animal top-1 goes through the geofence.
        if (c0 != SpecialLabels.Blank && c0 != SpecialLabels.Human && c0 != SpecialLabels.Vehicle
            && (s0 > 0.8 || (s0 > 0.65 && dc == AnimalBox && dp > 0.2)))
        {
            return ApplyGeofence(labels, scores, country, admin1Region);
        }

        // R5: roll up (also when the top-1 is blank, human or vehicle).
        if (Rollup(labels, scores, RollupLevels, 0.65, country, admin1Region) is { } rollup)
        {
            return new(rollup.Label.Raw, rollup.Score, PredictionSources.Rollup(rollup.Level));
        }

        // R6, R7.
        if (dc == AnimalBox && dp > 0.5) return new(SpecialLabels.Animal, dp, PredictionSources.Detector);
        return new(SpecialLabels.Unknown, s0, PredictionSources.Classifier);
    }

    /// <summary>BLOCKED of spec 4.5: false when geofencing is disabled, otherwise <see cref="Geofence.IsBlocked"/>.</summary>
    public bool IsBlocked(SpeciesLabel label, string? country, string? admin1Region) =>
        _geofenceEnabled && _geofence.IsBlocked(label, country, admin1Region);

    /// <summary>GEOFENCE of spec 4.2.</summary>
    private EnsembleResult ApplyGeofence(SpeciesLabel[] labels, IReadOnlyList<double> scores, string? country, string? admin1Region)
    {
        if (!IsBlocked(labels[0], country, admin1Region)) return new(labels[0].Raw, scores[0], PredictionSources.Classifier);

        // The roll-up must reach the blocked top-1's own score; the 1e-10 lets an ancestor that carries only that score pass.
        if (Rollup(labels, scores, GeofenceRollupLevels, scores[0] - 1e-10, country, admin1Region) is { } rollup)
        {
            return new(rollup.Label.Raw, rollup.Score, PredictionSources.GeofenceRollup(rollup.Level));
        }
        return new(SpecialLabels.Unknown, scores[0], PredictionSources.GeofenceRollupFailed);
    }

    /// <summary>
    /// ROLLUP of spec 4.3: at each level in turn, sum the top-k scores per ancestor (in first-seen order), take
    /// the highest unblocked sum (ties keep the first-seen ancestor) and return it when it beats the threshold.
    /// </summary>
    private (SpeciesLabel Label, double Score, TaxonomyLevel Level)? Rollup(
        SpeciesLabel[] labels,
        IReadOnlyList<double> scores,
        TaxonomyLevel[] levels,
        double threshold,
        string? country,
        string? admin1Region)
    {
        // At most k (= 5) distinct ancestors: parallel arrays in insertion order beat a dictionary here.
        var ancestors = new SpeciesLabel[labels.Length];
        var sums = new double[labels.Length];
        foreach (var level in levels)
        {
            var count = 0;
            for (var i = 0; i < labels.Length; i++)
            {
                if (_taxonomy.Ancestor(labels[i], level) is not { } ancestor) continue;
                var slot = Array.IndexOf(ancestors, ancestor, 0, count);
                if (slot < 0)
                {
                    slot = count++;
                    ancestors[slot] = ancestor;
                    sums[slot] = 0.0;
                }
                sums[slot] += scores[i];
            }

            SpeciesLabel? best = null;
            var bestScore = 0.0;
            for (var j = 0; j < count; j++)
            {
                if (sums[j] > bestScore && !IsBlocked(ancestors[j], country, admin1Region))
                {
                    best = ancestors[j];
                    bestScore = sums[j];
                }
            }
            if (best is not null && bestScore > threshold) return (best, bestScore, level);
        }
        return null;
    }
}
