using Atlas.Domain.Ensemble;
using Atlas.Domain.Errors;
using Atlas.Domain.Geofencing;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;
using static Atlas.Domain.Tests.TestTaxonomy;

namespace Atlas.Domain.Tests.Ensemble;

/// <summary>
/// Table tests of spec 4.1-4.5 on the small test taxonomy. Scores are mostly dyadic fractions so that sums are
/// exact; the thresholds 0.2/0.4/0.5/0.65/0.7/0.8/0.99 appear as exact inputs to show every comparison is strict.
/// </summary>
public sealed class SpeciesNetEnsembleTests
{
    private const string Blank = SpecialLabels.Blank;
    private const string Human = SpecialLabels.Human;
    private const string Vehicle = SpecialLabels.Vehicle;
    private const string Animal = SpecialLabels.Animal;
    private const string Unknown = SpecialLabels.Unknown;

    private const string Detector = "detector";
    private const string Classifier = "classifier";

    /// <summary>
    /// A geofence that blocks one more rank per country, so each GEOFENCE roll-up level has a country:
    /// KEN lion allowed; IND lion blocked; USA + felidae; MEX + carnivora; BRA + mammalia; ATA + animal (;;;;).
    /// Wolf is allowed only in Minnesota; panthera (genus) is blocked in NPL only, so in IND the skipped genus would have won.
    /// </summary>
    private static readonly Geofence Rules = Geofence.Parse("""
        {
          "mammalia;carnivora;felidae;panthera;leo": {"allow": {"KEN": [], "TZA": []}},
          "mammalia;carnivora;felidae;;": {"block": {"USA": [], "MEX": [], "BRA": [], "ATA": []}},
          "mammalia;carnivora;;;": {"block": {"MEX": [], "BRA": [], "ATA": []}},
          "mammalia;;;;": {"block": {"BRA": [], "ATA": []}},
          ";;;;": {"block": {"ATA": []}},
          "mammalia;carnivora;canidae;canis;lupus": {"allow": {"USA": ["MN"]}},
          "mammalia;carnivora;felidae;panthera;": {"block": {"NPL": []}}
        }
        """, "test-geofence.json");

    private static readonly SpeciesNetEnsemble Ensemble = new(Instance, Rules);

    private static TestCaseData Case(
        string name,
        (string Label, double Conf)? box,
        (string Label, double Score)[] top,
        string expectedLabel,
        double expectedScore,
        string expectedSource,
        string? country = null,
        string? admin1 = null) =>
        new TestCaseData(box, top, country, admin1, expectedLabel, expectedScore, expectedSource).SetName("Combine_" + name);

    // Fillers without a class: they never add to a roll-up.
    private static readonly (string, double)[] NoClassFill = [(Blank, 0.125), (Vehicle, 0.0625)];

    private static (string, double)[] Top(params (string, double)[] head) => [.. head];

    public static IEnumerable<TestCaseData> RuleTable()
    {
        // R1: human box.
        yield return Case("R1_HumanBoxAbove07_HumanFromDetector", ("human", 0.875), Top((Lion, 0.9375), (Wolf, 0.03125)), Human, 0.875, Detector);
        yield return Case("R1_HumanBoxExactly07_HumanTop1Above05_HumanFromClassifier", ("human", 0.7), Top((Human, 0.625), (Lion, 0.125)), Human, 0.625, Classifier);
        yield return Case("R1_HumanBox_VehicleTop1Above05_HumanFromClassifier", ("human", 0.5), Top((Vehicle, 0.625), (Lion, 0.125)), Human, 0.625, Classifier);
        yield return Case("R1_HumanBoxExactly07_HumanTop1Exactly05_NotFired_Unknown", ("human", 0.7),
            Top((Human, 0.5), (Blank, 0.125), (Vehicle, 0.0625), (Turkey, 0.03125), (Aves, 0.015625)), Unknown, 0.5, Classifier);
        yield return Case("R1_HumanBoxExactly02_NotFired_RollsUpToHomo", ("human", 0.2), Top([(Human, 0.75), .. NoClassFill]), Homo, 0.75, "classifier+rollup_to_genus");

        // R2: vehicle box.
        yield return Case("R2_VehicleBox_HumanTop1Above05_HumanFromClassifier", ("vehicle", 0.875), Top((Human, 0.625), (Lion, 0.125)), Human, 0.625, Classifier);
        yield return Case("R2_VehicleBoxAbove07_VehicleFromDetector", ("vehicle", 0.875), Top((Lion, 0.9375), (Wolf, 0.03125)), Vehicle, 0.875, Detector);
        yield return Case("R2_VehicleBox_HumanTop1Exactly05_VehicleFromDetector", ("vehicle", 0.875), Top((Human, 0.5), (Lion, 0.125)), Vehicle, 0.875, Detector);
        yield return Case("R2_VehicleBox_VehicleTop1Above04_VehicleFromClassifier", ("vehicle", 0.5), Top((Vehicle, 0.4375), (Lion, 0.125)), Vehicle, 0.4375, Classifier);
        yield return Case("R2_VehicleBoxExactly07_VehicleTop1Exactly04_NotFired_Unknown", ("vehicle", 0.7),
            Top((Vehicle, 0.4), (Blank, 0.25), (Turkey, 0.125)), Unknown, 0.4, Classifier);
        yield return Case("R2_VehicleBoxExactly02_HumanTop1_NotFired_RollsUpToHomo", ("vehicle", 0.2), Top((Human, 0.75), (Vehicle, 0.125)), Homo, 0.75, "classifier+rollup_to_genus");

        // R3: blank.
        yield return Case("R3_NoBox_BlankAbove05_Blank", null, Top((Blank, 0.625), (Lion, 0.125)), Blank, 0.625, Classifier);
        yield return Case("R3_AnimalBox_BlankAbove099_Blank", ("animal", 0.5), Top((Blank, 0.995), (Lion, 0.001)), Blank, 0.995, Classifier);
        yield return Case("R3_AnimalBoxExactly02_BlankBelow099_NotFired_Unknown", ("animal", 0.2), Top((Blank, 0.625), (Turkey, 0.125)), Unknown, 0.625, Classifier);
        yield return Case("R3_NoBox_BlankExactly05_NotFired_Unknown", null, Top((Blank, 0.5), (Turkey, 0.125), (Aves, 0.0625)), Unknown, 0.5, Classifier);
        yield return Case("R3_AnimalBox_BlankExactly099_NotFired_AnimalFromDetector", ("animal", 0.75), Top((Blank, 0.99), (Lion, 0.001)), Animal, 0.75, Detector);

        // R4: confident animal top-1 (no geofence rules apply without a country).
        yield return Case("R4_Top1Above08_Classifier", null, Top((Lion, 0.875), (Wolf, 0.0625)), Lion, 0.875, Classifier);
        yield return Case("R4_Top1Exactly08_NotFired_RollsUpToGenus", null, Top((Lion, 0.8), (Leopard, 0.125)), Panthera, 0.8 + 0.125, "classifier+rollup_to_genus");
        yield return Case("R4_Top1Above065_AnimalBoxAbove02_Classifier", ("animal", 0.25), Top((Lion, 0.6875), (Wolf, 0.125)), Lion, 0.6875, Classifier);
        yield return Case("R4_Top1Exactly065_NotFired_RollsUpToFamily", ("animal", 0.9), Top((Lion, 0.65), (Ocelot, 0.125), (Wolf, 0.0625)), Felidae, 0.65 + 0.125, "classifier+rollup_to_family");
        yield return Case("R4_AnimalBoxExactly02_NotFired_RollsUpToGenus", ("animal", 0.2), Top((Lion, 0.6875), (Wolf, 0.125)), Panthera, 0.6875, "classifier+rollup_to_genus");
        yield return Case("R4_HumanBox_Top1Above065_NotFired_RollsUpToGenus", ("human", 0.3), Top((Lion, 0.6875), (Wolf, 0.125)), Panthera, 0.6875, "classifier+rollup_to_genus");

        // GEOFENCE (R4 with a country).
        (string, double)[] cats = [(Lion, 0.875), (Leopard, 0.0625), (Ocelot, 0.03125), (Wolf, 0.015625), (Turkey, 0.0078125)];
        yield return Case("Geofence_Allowed_Classifier", null, cats, Lion, 0.875, Classifier, "KEN");
        yield return Case("Geofence_Blocked_SkipsGenus_RollsUpToFamily", null, cats, Felidae, 0.875 + 0.0625 + 0.03125, "classifier+geofence+rollup_to_family", "IND");
        yield return Case("Geofence_BlockedFamily_RollsUpToOrder", null, cats, Carnivora, 0.875 + 0.0625 + 0.03125 + 0.015625, "classifier+geofence+rollup_to_order", "USA");
        yield return Case("Geofence_BlockedOrder_RollsUpToClass", null, cats, Mammalia, 0.875 + 0.0625 + 0.03125 + 0.015625, "classifier+geofence+rollup_to_class", "MEX");
        yield return Case("Geofence_BlockedClass_RollsUpToKingdom", null, cats, Animal, 0.875 + 0.0625 + 0.03125 + 0.015625 + 0.0078125, "classifier+geofence+rollup_to_kingdom", "BRA");
        yield return Case("Geofence_EverythingBlocked_RollupFailed", null, cats, Unknown, 0.875, "classifier+geofence+rollup_failed", "ATA");
        yield return Case("Geofence_AncestorEqualToTop1Score_PassesThanksTo1e10", null,
            Top((Lion, 0.875), (Turkey, 0.0625), (Aves, 0.03125), (Galliformes, 0.015625), (Phasianidae, 0.0078125)),
            Felidae, 0.875, "classifier+geofence+rollup_to_family", "IND");
        yield return Case("Geofence_EmptyCountry_Classifier", null, cats, Lion, 0.875, Classifier, "");
        (string, double)[] wolves = [(Wolf, 0.875), (Coyote, 0.0625), (Lion, 0.03125), (Turkey, 0.015625), (Rodentia, 0.0078125)];
        yield return Case("Geofence_Admin1Allowed_Classifier", null, wolves, Wolf, 0.875, Classifier, "USA", "MN");
        yield return Case("Geofence_Admin1NotAllowed_RollsUpToFamily", null, wolves, Canidae, 0.875 + 0.0625, "classifier+geofence+rollup_to_family", "USA", "NY");
        yield return Case("Geofence_UsaWithoutAdmin1_Classifier", null, wolves, Wolf, 0.875, Classifier, "USA", "");

        // R5: roll-up, one case per level, ties, blocked ancestors, non-animal top-1.
        yield return Case("R5_Genus", null, Top((Lion, 0.5), (Leopard, 0.25), (Wolf, 0.125), (Turkey, 0.0625), (Rodentia, 0.03125)), Panthera, 0.75, "classifier+rollup_to_genus");
        yield return Case("R5_Family", null, Top((Lion, 0.5), (Ocelot, 0.25), (Wolf, 0.125), (Turkey, 0.0625), (Rodentia, 0.03125)), Felidae, 0.75, "classifier+rollup_to_family");
        yield return Case("R5_Order", null, Top((Lion, 0.5), (Wolf, 0.25), (Turkey, 0.125), (Rodentia, 0.0625), (Aves, 0.03125)), Carnivora, 0.75, "classifier+rollup_to_order");
        yield return Case("R5_Class", null, Top((Lion, 0.5), (Rodentia, 0.25), (Turkey, 0.125), (Aves, 0.0625), (Galliformes, 0.03125)), Mammalia, 0.75, "classifier+rollup_to_class");
        yield return Case("R5_Kingdom_BlankAndVehicleAddNothing", null, Top((Lion, 0.5), (Turkey, 0.25), (Aves, 0.125), (Blank, 0.0625), (Vehicle, 0.03125)), Animal, 0.875, "classifier+rollup_to_kingdom");
        yield return Case("R5_Tie_FirstInsertedWins_Canis", null, Top((Wolf, 0.5), (Lion, 0.5), (Coyote, 0.25), (Leopard, 0.25)), Canis, 0.75, "classifier+rollup_to_genus");
        yield return Case("R5_Tie_FirstInsertedWins_Panthera", null, Top((Lion, 0.5), (Wolf, 0.5), (Leopard, 0.25), (Coyote, 0.25)), Panthera, 0.75, "classifier+rollup_to_genus");
        yield return Case("R5_Tie_BlockedAncestorSkipped", null, Top((Lion, 0.5), (Wolf, 0.5), (Leopard, 0.25), (Coyote, 0.25)), Canis, 0.75, "classifier+rollup_to_genus", "NPL");
        yield return Case("R5_BestGenusBlocked_OtherBelowThreshold_RollsUpToFamily", null,
            Top((Lion, 0.5), (Leopard, 0.25), (Wolf, 0.125), (Turkey, 0.0625)), Felidae, 0.75, "classifier+rollup_to_family", "NPL");
        yield return Case("R5_HumanTop1At07_AnimalBox_RollsUpToHomo", ("animal", 0.9), Top((Human, 0.7), (Lion, 0.125), (Turkey, 0.0625)), Homo, 0.7, "classifier+rollup_to_genus");
        yield return Case("R5_BlankTop1_RollsUpToGenus_LabelAtRankCountsItself", null,
            Top((Blank, 0.3125), (Lion, 0.25), (Leopard, 0.25), (Panthera, 0.1875)), Panthera, 0.6875, "classifier+rollup_to_genus");
        yield return Case("R5_VehicleTop1_RollsUpToGenus", ("vehicle", 0.5),
            Top((Vehicle, 0.3125), (Lion, 0.25), (Leopard, 0.25), (Panthera, 0.1875)), Panthera, 0.6875, "classifier+rollup_to_genus");

        // R6 / R7.
        (string, double)[] spread = [(Lion, 0.25), (Wolf, 0.125), (Turkey, 0.125), (Rodentia, 0.0625), (Aves, 0.0625)];
        yield return Case("R6_AnimalBoxAbove05_AnimalFromDetector", ("animal", 0.75), spread, Animal, 0.75, Detector);
        yield return Case("R6_AnimalBoxExactly05_NotFired_Unknown", ("animal", 0.5), spread, Unknown, 0.25, Classifier);
        yield return Case("R6_HumanBox_NotFired_Unknown", ("human", 0.6), spread, Unknown, 0.25, Classifier);
        yield return Case("R7_NoBox_Unknown", null, spread, Unknown, 0.25, Classifier);
    }

    [TestCaseSource(nameof(RuleTable))]
    public void Combine_Rule(
        (string Label, double Conf)? box,
        (string Label, double Score)[] top,
        string? country,
        string? admin1,
        string expectedLabel,
        double expectedScore,
        string expectedSource)
    {
        var detections = box is { } b ? new[] { Box(b.Label, b.Conf), Box("animal", 0.011) } : [];

        var result = Ensemble.Combine(Top5(top), detections, country, admin1);

        Assert.That(result, Is.EqualTo(new EnsembleResult(expectedLabel, expectedScore, expectedSource)));
    }

    [Test]
    public void Combine_GeofenceDisabled_BlockedTop1StaysClassifier()
    {
        var ensemble = new SpeciesNetEnsemble(Instance, Rules, geofenceEnabled: false);

        var result = ensemble.Combine(Top5([(Lion, 0.875), (Leopard, 0.0625)]), [], "ATA", null);

        Assert.That(result, Is.EqualTo(new EnsembleResult(Lion, 0.875, Classifier)));
    }

    [Test]
    public void IsBlocked_GeofenceDisabled_FalseEvenWhereRulesBlock()
    {
        var lion = SpeciesLabel.Parse(Lion);

        Assert.Multiple(() =>
        {
            Assert.That(Ensemble.IsBlocked(lion, "USA", null), Is.True);
            Assert.That(new SpeciesNetEnsemble(Instance, Rules, geofenceEnabled: false).IsBlocked(lion, "USA", null), Is.False);
        });
    }

    [Test]
    public void Combine_OnlyFirstDetectionCounts()
    {
        Detection[] detections = [Box("animal", 0.3), Box("human", 0.99)];

        var result = Ensemble.Combine(Top5([(Lion, 0.6875), (Wolf, 0.125)]), detections, null, null);

        Assert.That(result, Is.EqualTo(new EnsembleResult(Lion, 0.6875, Classifier)));
    }

    [Test]
    public void Combine_MalformedClassString_ThrowsModelBundleException() =>
        Assert.Throws<ModelBundleException>(() => Ensemble.Combine(Top5([("not;a;label", 0.9)]), [], null, null));

    [Test]
    public void Combine_NoClassesOrMismatchedScores_ThrowsArgumentException()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Ensemble.Combine(new Classifications([], []), [], null, null));
            Assert.Throws<ArgumentException>(() => Ensemble.Combine(new Classifications([Lion, Wolf], [0.9]), [], null, null));
        });
    }

    [Test]
    public void PredictionSources_GeofenceRollupAtGenus_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PredictionSources.GeofenceRollup(TaxonomyLevel.Genus));

    private static Detection Box(string label, double conf) =>
        new(label switch { "animal" => "1", "human" => "2", _ => "3" }, label, conf, [0.1, 0.1, 0.5, 0.5]);

    private static Classifications Top5((string Label, double Score)[] top) =>
        new([.. top.Select(t => t.Label)], [.. top.Select(t => t.Score)]);
}
