using Atlas.Domain.Ensemble;
using Atlas.Domain.Geofencing;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests.Taxonomy;

/// <summary>
/// SpeciesNet builds its taxonomy map with a Python dict comprehension, so when two taxonomy lines share a five-token
/// key (SpeciesNet issue #52 lists three such keys in the released taxonomy) the LAST line wins. Atlas must do the same:
/// the winner decides the label a roll-up reports.
/// </summary>
public sealed class DuplicateKeyTests
{
    private const string FirstGenus = "11111111-0000-0000-0000-000000000001;mammalia;carnivora;felidae;panthera;;panthera species (first)";
    private const string LastGenus = "22222222-0000-0000-0000-000000000002;mammalia;carnivora;felidae;panthera;;panthera species (last)";
    private const string Lion = "33333333-0000-0000-0000-000000000003;mammalia;carnivora;felidae;panthera;leo;lion";
    private const string Tiger = "44444444-0000-0000-0000-000000000004;mammalia;carnivora;felidae;panthera;tigris;tiger";

    [Test]
    public void TwoLinesWithOneKey_TheLastLineWins()
    {
        var taxonomy = SpeciesTaxonomy.FromLines([FirstGenus, Lion, LastGenus, Tiger], "taxonomy.txt");

        Assert.That(taxonomy.TryGet("mammalia;carnivora;felidae;panthera;", out var winner), Is.True);
        Assert.That(winner!.Raw, Is.EqualTo(LastGenus));
        Assert.That(taxonomy.Ancestor(SpeciesLabel.Parse(Lion), TaxonomyLevel.Genus)!.Raw, Is.EqualTo(LastGenus));
    }

    [Test]
    public void TwoLinesWithOneKey_OrderReversed_TheOtherWins()
    {
        var taxonomy = SpeciesTaxonomy.FromLines([LastGenus, Lion, FirstGenus, Tiger], "taxonomy.txt");

        Assert.That(taxonomy.Ancestor(SpeciesLabel.Parse(Tiger), TaxonomyLevel.Genus)!.Raw, Is.EqualTo(FirstGenus));
    }

    [Test]
    public void Ensemble_RollupToGenus_ReportsTheLastLine()
    {
        var taxonomy = SpeciesTaxonomy.FromLines([FirstGenus, Lion, LastGenus, Tiger], "taxonomy.txt");
        var ensemble = new SpeciesNetEnsemble(taxonomy, Geofence.Empty);
        // Lion 0.4 + tiger 0.35: no species passes R4, the genus sum 0.75 passes R5's 0.65.
        var classifications = new Classifications(
            [Lion, Tiger, SpecialLabels.Blank, SpecialLabels.Vehicle, SpecialLabels.Unknown],
            [0.4, 0.35, 0.1, 0.1, 0.05]);

        var result = ensemble.Combine(classifications, [new Detection("1", "animal", 0.9, [0.1, 0.1, 0.2, 0.2])], null, null);

        Assert.That(result.Prediction, Is.EqualTo(LastGenus));
        Assert.That(result.Source, Is.EqualTo(PredictionSources.Rollup(TaxonomyLevel.Genus)));
        Assert.That(result.Score, Is.EqualTo(0.75).Within(1e-12));
    }
}
