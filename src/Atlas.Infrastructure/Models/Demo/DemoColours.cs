using Atlas.Domain.Ensemble;
using Atlas.Domain.Taxonomy;
using static Atlas.Infrastructure.Models.Demo.DemoLabels;

namespace Atlas.Infrastructure.Models.Demo;

/// <summary>One of the demo classifier's top-5 entries at a prototype colour.</summary>
public sealed record DemoClassScore(string Label, float Score);

/// <summary>
/// A prototype colour of the demo models. A crop whose mean colour is this colour gets exactly
/// <see cref="Top5"/> from the demo classifier (scores to ~1e-6), and cells of this colour get
/// <see cref="Detection"/> from the demo detector. <see cref="ExpectedLabel"/>/<see cref="ExpectedSource"/>
/// is what the SpeciesNet ensemble must answer for a picture of this colour with no country given
/// (see docs/design/onnx-and-demo-bundle.md for the geofenced variants).
/// </summary>
/// <param name="Name">Short name used in tests and docs.</param>
/// <param name="R">Red, 0..255.</param>
/// <param name="G">Green, 0..255.</param>
/// <param name="B">Blue, 0..255.</param>
/// <param name="Top5">Classifier top 5, descending.</param>
/// <param name="ExpectedLabel">Ensemble prediction (7-field label).</param>
/// <param name="ExpectedSource">Ensemble <c>prediction_source</c>.</param>
/// <param name="ClassifierScoreForPrediction">Prediction score when it comes from the classifier; null when it is the detector conf.</param>
/// <param name="Rule">Which rule of spec 4.1 fires.</param>
public sealed record DemoColour(
    string Name,
    byte R,
    byte G,
    byte B,
    IReadOnlyList<DemoClassScore> Top5,
    string ExpectedLabel,
    string ExpectedSource,
    float? ClassifierScoreForPrediction,
    string Rule)
{
    /// <summary>The colour as floats 0..1 (what the models see).</summary>
    public (float R, float G, float B) Unit => (R / 255f, G / 255f, B / 255f);

    /// <summary>What the demo detector reports for a cell of this colour, or null when it stays under 0.01.</summary>
    public DemoDetection? Detection => DemoDetectorModel.Expected(R / 255f, G / 255f, B / 255f).AsDetection();

    /// <summary>The expected <c>prediction_score</c>.</summary>
    public float ExpectedScore => ClassifierScoreForPrediction ?? Detection?.Confidence ?? 0f;
}

/// <summary>
/// The prototype colours of the demo bundle: the table integration tests use to steer the demo models with
/// synthetic images. Prototypes are at least 0.247 apart in RGB (0..1), so a few levels of JPEG noise do not
/// change the classifier's answer.
/// </summary>
public static class DemoColours
{
    private const string Classifier = PredictionSources.Classifier;
    private const string Detector = PredictionSources.Detector;

    private static DemoClassScore S(string label, float score) => new(label, score);

    public static DemoColour Black { get; } = new("black", 0, 0, 0,
        [S(Blank, 0.9990f), S(Vehicle, 0.0004f), S(Animal, 0.0002f), S(Human, 0.0001f), S(CommonRaven, 0.00005f)],
        Blank, Classifier, 0.9990f, "R3 blank > 0.5, no detection");

    public static DemoColour DarkGrey { get; } = new("dark grey", 64, 64, 64,
        [S(Blank, 0.9950f), S(Animal, 0.0020f), S(Vehicle, 0.0010f), S(Human, 0.0008f), S(Lion, 0.0004f)],
        Blank, Classifier, 0.9950f, "R3 blank > 0.5, no detection");

    public static DemoColour Grey { get; } = new("grey", 128, 128, 128,
        [S(Blank, 0.9997f), S(Vehicle, 0.0001f), S(Animal, 0.00008f), S(Human, 0.00006f), S(CommonRaven, 0.00004f)],
        Blank, Classifier, 0.9997f, "R3 blank > 0.5, no detection (also the letterbox pad colour's neighbour)");

    public static DemoColour LightGrey { get; } = new("light grey", 191, 191, 191,
        [S(Blank, 0.7500f), S(Animal, 0.1000f), S(Vehicle, 0.0800f), S(Lion, 0.0300f), S(Human, 0.0200f)],
        Blank, Classifier, 0.7500f, "R3 blank in (0.5, 0.99], detector < 0.2");

    public static DemoColour White { get; } = new("white", 255, 255, 255,
        [S(Blank, 0.9990f), S(Human, 0.0004f), S(Vehicle, 0.0003f), S(Animal, 0.0001f), S(GraySquirrel, 0.00005f)],
        Blank, Classifier, 0.9990f, "R3 blank > 0.5, no detection");

    public static DemoColour Red { get; } = new("red", 255, 0, 0,
        [S(Lion, 0.9000f), S(Leopard, 0.0400f), S(PantheraGenus, 0.0200f), S(Bobcat, 0.0150f), S(GrayWolf, 0.0100f)],
        Lion, Classifier, 0.9000f, "R4 species > 0.8 (lion; blocked in USA -> cat family 0.975 via geofence roll-up)");

    public static DemoColour Orange { get; } = new("orange", 255, 128, 0,
        [S(Leopard, 0.7200f), S(Lion, 0.1000f), S(Bobcat, 0.0600f), S(EurasianLynx, 0.0400f), S(GrayWolf, 0.0300f)],
        Leopard, Classifier, 0.7200f, "R4 species in (0.65, 0.8] with an animal box > 0.2");

    public static DemoColour Green { get; } = new("green", 0, 255, 0,
        [S(Human, 0.9700f), S(Vehicle, 0.0100f), S(Blank, 0.0080f), S(Animal, 0.0050f), S(GrayWolf, 0.0030f)],
        Human, Detector, null, "R1 human box > 0.7");

    public static DemoColour Blue { get; } = new("blue", 0, 0, 255,
        [S(Vehicle, 0.9700f), S(Human, 0.0100f), S(Blank, 0.0080f), S(Animal, 0.0050f), S(CommonRaven, 0.0030f)],
        Vehicle, Detector, null, "R2 vehicle box > 0.7");

    public static DemoColour PaleGreen { get; } = new("pale green", 64, 191, 64,
        [S(Human, 0.8500f), S(Vehicle, 0.0500f), S(Blank, 0.0400f), S(Animal, 0.0300f), S(GrayWolf, 0.0100f)],
        Human, Classifier, 0.8500f, "R1 human box in (0.2, 0.7], classifier human > 0.5");

    public static DemoColour PaleBlue { get; } = new("pale blue", 64, 64, 191,
        [S(Vehicle, 0.6000f), S(Human, 0.1500f), S(Blank, 0.1000f), S(Animal, 0.0800f), S(CommonRaven, 0.0300f)],
        Vehicle, Classifier, 0.6000f, "R2 vehicle box in (0.2, 0.7], classifier vehicle > 0.4");

    public static DemoColour Navy { get; } = new("navy", 0, 0, 128,
        [S(Human, 0.7000f), S(Vehicle, 0.2000f), S(Blank, 0.0500f), S(Animal, 0.0200f), S(GrayWolf, 0.0100f)],
        Human, Classifier, 0.7000f, "R2 vehicle box > 0.2 but classifier human > 0.5");

    public static DemoColour Maroon { get; } = new("maroon", 128, 0, 0,
        [S(Blank, 0.9950f), S(Animal, 0.0020f), S(Lion, 0.0010f), S(Vehicle, 0.0008f), S(Human, 0.0004f)],
        Blank, Classifier, 0.9950f, "R3 blank > 0.99 despite an animal box >= 0.2");

    public static DemoColour Rose { get; } = new("rose", 255, 0, 128,
        [S(Lion, 0.4000f), S(Leopard, 0.3000f), S(Bobcat, 0.1500f), S(EurasianLynx, 0.1000f), S(GrayWolf, 0.0300f)],
        PantheraGenus, PredictionSources.Rollup(TaxonomyLevel.Genus), 0.7000f, "R5 roll-up to genus (panthera 0.4 + 0.3)");

    public static DemoColour Coral { get; } = new("coral", 255, 64, 64,
        [S(Bobcat, 0.3000f), S(Lion, 0.2500f), S(EurasianLynx, 0.2000f), S(GrayWolf, 0.1200f), S(GraySquirrel, 0.0800f)],
        Felidae, PredictionSources.Rollup(TaxonomyLevel.Family), 0.7500f, "R5 roll-up to family (felidae 0.3 + 0.25 + 0.2)");

    public static DemoColour DarkRed { get; } = new("dark red", 191, 0, 0,
        [S(GrayWolf, 0.3500f), S(CarnivoraOrder, 0.2000f), S(Lion, 0.1500f), S(GraySquirrel, 0.1000f), S(CommonRaven, 0.0800f)],
        CarnivoraOrder, PredictionSources.Rollup(TaxonomyLevel.Order), 0.7000f, "R5 roll-up to order (carnivora 0.35 + 0.2 + 0.15; the order-level label counts for itself)");

    public static DemoColour Brown { get; } = new("brown", 191, 64, 0,
        [S(GrayWolf, 0.3000f), S(GraySquirrel, 0.2500f), S(Lion, 0.1500f), S(CommonRaven, 0.1200f), S(Blank, 0.1000f)],
        Mammalia, PredictionSources.Rollup(TaxonomyLevel.Class), 0.7000f, "R5 roll-up to class (mammalia 0.3 + 0.25 + 0.15)");

    public static DemoColour Pink { get; } = new("pink", 255, 128, 128,
        [S(CommonRaven, 0.3500f), S(Lion, 0.2000f), S(GraySquirrel, 0.1600f), S(Vehicle, 0.1400f), S(Blank, 0.1000f)],
        Animal, PredictionSources.Rollup(TaxonomyLevel.Kingdom), 0.7100f, "R5 roll-up to kingdom (animal 0.35 + 0.2 + 0.16)");

    public static DemoColour Amber { get; } = new("amber", 255, 191, 0,
        [S(Blank, 0.3500f), S(Vehicle, 0.3000f), S(Lion, 0.2000f), S(CommonRaven, 0.1000f), S(Human, 0.0300f)],
        Animal, Detector, null, "R6 nothing confident, animal box > 0.5");

    public static DemoColour DustyPink { get; } = new("dusty pink", 191, 128, 128,
        [S(Blank, 0.3500f), S(Vehicle, 0.3000f), S(Lion, 0.2000f), S(CommonRaven, 0.1000f), S(Human, 0.0300f)],
        "f2efdae9-efb8-48fb-8a91-eccf79ab4ffb;no cv result;no cv result;no cv result;no cv result;no cv result;no cv result",
        Classifier, 0.3500f, "R7 unknown (weak animal box 0.045)");

    public static DemoColour Crimson { get; } = new("crimson", 191, 0, 64,
        [S(Bobcat, 0.8800f), S(EurasianLynx, 0.0500f), S(Lion, 0.0300f), S(GrayWolf, 0.0150f), S(GraySquirrel, 0.0100f)],
        Bobcat, Classifier, 0.8800f, "R4 species > 0.8 (bobcat; outside USA/NY -> cat family 0.96 via geofence roll-up)");

    /// <summary>Every prototype; the classifier's prototype matrix follows this order.</summary>
    public static IReadOnlyList<DemoColour> All { get; } =
    [
        Black, DarkGrey, Grey, LightGrey, White, Red, Orange, Green, Blue, PaleGreen, PaleBlue, Navy, Maroon, Rose,
        Coral, DarkRed, Brown, Pink, Amber, DustyPink, Crimson,
    ];

    /// <summary>Finds a prototype by <see cref="DemoColour.Name"/>.</summary>
    public static DemoColour ByName(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"No demo colour named '{name}'.", nameof(name));
}
