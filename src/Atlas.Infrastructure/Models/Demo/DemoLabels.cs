namespace Atlas.Infrastructure.Models.Demo;

/// <summary>
/// The label set, taxonomy and geofence of the embedded demo bundle: 13 labels in SpeciesNet's 7-field format
/// (spec 1.2) chosen so that every ensemble rule (spec 4) can be reached. The four special labels carry the
/// real SpeciesNet UUIDs; the others are made-up UUIDv5 values. Taxa: five felids in two genera (plus the
/// genus-level label "panthera species"), a canid, the order-level label "carnivorous mammal", a squirrel (another
/// order), a raven (another class). The labels file is deliberately not sorted and does not start with blank,
/// like the real one.
/// </summary>
public static class DemoLabels
{
    public const string Blank = "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank";
    public const string Animal = "1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal";
    public const string Human = "990ae9dd-7a59-4344-afcb-1b7b21368000;mammalia;primates;hominidae;homo;sapiens;human";
    public const string Vehicle = "e2895ed5-780b-48f6-8a11-9e27cb594511;;;;;;vehicle";
    public const string Lion = "730b94b8-e919-5385-aa9e-c642c99c5a41;mammalia;carnivora;felidae;panthera;leo;lion";
    public const string Leopard = "af0b9e20-bd2f-533b-9ef0-20895eb67a88;mammalia;carnivora;felidae;panthera;pardus;leopard";
    public const string PantheraGenus = "acb263c9-b67d-59a4-9f0f-da1d28103c94;mammalia;carnivora;felidae;panthera;;panthera species";
    public const string Bobcat = "be01dad6-7cbd-5219-9b92-74a65a68e365;mammalia;carnivora;felidae;lynx;rufus;bobcat";
    public const string EurasianLynx = "94d5b18b-36b3-5ca8-a50f-fe3434bf61e7;mammalia;carnivora;felidae;lynx;lynx;eurasian lynx";
    public const string GrayWolf = "abdb7eb8-122e-50ac-864f-3ea900a9fb75;mammalia;carnivora;canidae;canis;lupus;gray wolf";
    public const string CarnivoraOrder = "6c7f4658-dd20-5759-af1a-421b88bd2b27;mammalia;carnivora;;;;carnivorous mammal";
    public const string GraySquirrel = "b46a9d11-6066-599e-bf1c-fbc8ddc802ab;mammalia;rodentia;sciuridae;sciurus;carolinensis;eastern gray squirrel";
    public const string CommonRaven = "8ba8fbb5-7c30-559d-a63c-420d4d13f12d;aves;passeriformes;corvidae;corvus;corax;common raven";

    /// <summary>Higher taxa that are in the taxonomy but are not classifier outputs (the roll-up targets).</summary>
    public const string Mammalia = "c05f754a-7c11-5785-ac9c-737fa710bba9;mammalia;;;;;mammal";
    public const string Felidae = "7c997a17-1fc8-5b17-85d5-ad01e9600add;mammalia;carnivora;felidae;;;cat family";
    public const string LynxGenus = "fc762b4c-6387-558a-8df1-46c4660da174;mammalia;carnivora;felidae;lynx;;lynx species";
    public const string Canidae = "5394710f-b82a-5787-8bd2-37abcf062ef1;mammalia;carnivora;canidae;;;dog family";
    public const string CanisGenus = "7d4b98f0-76e7-5642-a256-26aa287001ec;mammalia;carnivora;canidae;canis;;canis species";
    public const string Rodentia = "07f94d3e-3db9-5160-a5d4-abda60cea374;mammalia;rodentia;;;;rodent";
    public const string Sciuridae = "7bfff744-2c03-527e-b446-1f07fec592dc;mammalia;rodentia;sciuridae;;;squirrel family";
    public const string SciurusGenus = "11636efe-ddde-5af8-92f8-ebf199bea707;mammalia;rodentia;sciuridae;sciurus;;sciurus species";
    public const string Primates = "ecbbe48f-eced-52ba-b490-030d738e9c63;mammalia;primates;;;;primate";
    public const string Hominidae = "7771f4d4-db36-5847-86aa-3d7ec6e96ba6;mammalia;primates;hominidae;;;hominidae family";
    public const string HomoGenus = "337a9f04-d7c4-57fb-818b-1777cf4f62c5;mammalia;primates;hominidae;homo;;homo species";
    public const string Aves = "e144a77a-500e-56c4-8c3e-342449e6db8a;aves;;;;;bird";
    public const string Passeriformes = "4d34584d-8bff-5e0a-8276-dd63b89bfe7b;aves;passeriformes;;;;passerine";
    public const string Corvidae = "7f4ccb6d-131c-5964-a062-ef1cb1199893;aves;passeriformes;corvidae;;;corvid family";
    public const string CorvusGenus = "04830072-4b1e-5321-821f-acf8ad2442ac;aves;passeriformes;corvidae;corvus;;corvus species";

    /// <summary>Classifier output order: line i of labels.txt = logit i.</summary>
    public static IReadOnlyList<string> Classifier { get; } =
    [
        Lion, Blank, Leopard, Bobcat, Human, PantheraGenus, GrayWolf, Vehicle, EurasianLynx, CarnivoraOrder,
        GraySquirrel, Animal, CommonRaven,
    ];

    private static readonly string[] HigherTaxa =
    [
        Mammalia, Felidae, LynxGenus, Canidae, CanisGenus, Rodentia, Sciuridae, SciurusGenus, Primates, Hominidae,
        HomoGenus, Aves, Passeriformes, Corvidae, CorvusGenus,
    ];

    /// <summary>Index of <paramref name="label"/> in <see cref="Classifier"/>.</summary>
    public static int IndexOf(string label)
    {
        for (var i = 0; i < Classifier.Count; i++)
            if (string.Equals(Classifier[i], label, StringComparison.Ordinal)) return i;
        throw new ArgumentException($"'{label}' is not a demo classifier label.", nameof(label));
    }

    /// <summary>labels.txt: one label per line in <see cref="Classifier"/> order, LF line ends.</summary>
    public static string LabelsFile => string.Join('\n', Classifier) + "\n";

    /// <summary>
    /// taxonomy.txt: every classifier label plus the higher taxa used by roll-up, sorted by UUID like the release file
    /// (spec 1.3).
    /// </summary>
    public static string TaxonomyFile
    {
        get
        {
            var lines = Classifier.Concat(HigherTaxa).ToList();
            lines.Sort(StringComparer.Ordinal);
            return string.Join('\n', lines) + "\n";
        }
    }

    /// <summary>
    /// geofence.json (spec 1.4), two rules: lion blocked in the whole USA; bobcat allowed only in USA / New York
    /// (so blocked in every other state and every other country). Unlike the release file, the rules are not
    /// propagated to parent taxa, so roll-ups to cat family stay allowed everywhere.
    /// </summary>
    public const string GeofenceJson = """
        {
          "mammalia;carnivora;felidae;lynx;rufus": {"allow": {"USA": ["NY"]}},
          "mammalia;carnivora;felidae;panthera;leo": {"block": {"USA": []}}
        }

        """;
}
