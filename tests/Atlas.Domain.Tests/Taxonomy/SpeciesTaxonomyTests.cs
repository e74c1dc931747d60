using Atlas.Domain.Errors;
using Atlas.Domain.Taxonomy;
using static Atlas.Domain.Tests.TestTaxonomy;

namespace Atlas.Domain.Tests.Taxonomy;

public sealed class SpeciesTaxonomyTests
{
    private static readonly SpeciesTaxonomy Map = Instance;

    [TestCase(Lion, TaxonomyLevel.Genus, Panthera)]
    [TestCase(Lion, TaxonomyLevel.Family, Felidae)]
    [TestCase(Lion, TaxonomyLevel.Order, Carnivora)]
    [TestCase(Lion, TaxonomyLevel.Class, Mammalia)]
    [TestCase(Lion, TaxonomyLevel.Kingdom, SpecialLabels.Animal)]
    [TestCase(Panthera, TaxonomyLevel.Genus, Panthera)]
    [TestCase(Felidae, TaxonomyLevel.Family, Felidae)]
    [TestCase(Carnivora, TaxonomyLevel.Order, Carnivora)]
    [TestCase(Mammalia, TaxonomyLevel.Class, Mammalia)]
    [TestCase(Mammalia, TaxonomyLevel.Kingdom, SpecialLabels.Animal)]
    [TestCase(SpecialLabels.Animal, TaxonomyLevel.Kingdom, SpecialLabels.Animal)]
    [TestCase(SpecialLabels.Human, TaxonomyLevel.Genus, Homo)]
    [TestCase(SpecialLabels.Human, TaxonomyLevel.Family, Hominidae)]
    [TestCase(SpecialLabels.Human, TaxonomyLevel.Kingdom, SpecialLabels.Animal)]
    [TestCase(Turkey, TaxonomyLevel.Class, Aves)]
    public void Ancestor_KnownRank_ReturnsTaxonomyEntry(string label, TaxonomyLevel level, string expected) =>
        Assert.That(Map.Ancestor(SpeciesLabel.Parse(label), level)?.Raw, Is.EqualTo(expected));

    [TestCase(Felidae, TaxonomyLevel.Genus)]       // rank absent (family-level label)
    [TestCase(Carnivora, TaxonomyLevel.Family)]
    [TestCase(Mammalia, TaxonomyLevel.Order)]
    [TestCase(SpecialLabels.Blank, TaxonomyLevel.Class)]
    [TestCase(SpecialLabels.Blank, TaxonomyLevel.Kingdom)]
    [TestCase(SpecialLabels.Vehicle, TaxonomyLevel.Kingdom)]
    [TestCase(SpecialLabels.Animal, TaxonomyLevel.Class)]
    [TestCase(RedFox, TaxonomyLevel.Genus)]        // key mammalia;carnivora;canidae;vulpes; not in the map
    [TestCase(SpecialLabels.Unknown, TaxonomyLevel.Genus)]
    [TestCase("u;reptilia;squamata;;;;snake", TaxonomyLevel.Order)] // whole branch missing
    public void Ancestor_NoSuchAncestor_ReturnsNull(string label, TaxonomyLevel level) =>
        Assert.That(Map.Ancestor(SpeciesLabel.Parse(label), level), Is.Null);

    [Test]
    public void Ancestor_KingdomOfAnyClassedLabel_EvenOutsideTheMap_IsAnimal() =>
        Assert.That(Map.Ancestor(SpeciesLabel.Parse("u;reptilia;squamata;;;;snake"), TaxonomyLevel.Kingdom), Is.EqualTo(SpeciesLabel.Animal));

    [Test]
    public void FromLines_SpecialKeys_FollowSpec13()
    {
        var otherHuman = "00000000-0000;mammalia;primates;hominidae;homo;sapiens;person";
        var map = SpeciesTaxonomy.FromLines([SpecialLabels.Vehicle, SpecialLabels.Blank, SpecialLabels.Unknown, otherHuman, Lion], "t.txt");

        Assert.Multiple(() =>
        {
            Assert.That(map.TryGet(";;;;", out var kingdom), Is.True);
            Assert.That(kingdom, Is.EqualTo(SpeciesLabel.Animal));
            Assert.That(map.TryGet(SpeciesLabel.Unknown.FullClassString, out _), Is.False);
            Assert.That(map.TryGet(SpeciesLabel.Human.FullClassString, out var human), Is.True);
            Assert.That(human, Is.EqualTo(SpeciesLabel.Human));
            Assert.That(map.Count, Is.EqualTo(3)); // ;;;; + human + lion
        });
    }

    [Test]
    public void FromLines_DuplicateKey_LaterLineWins()
    {
        var map = SpeciesTaxonomy.FromLines(["a;mammalia;;;;;first", "b;mammalia;;;;;second"], "t.txt");

        Assert.That(map.TryGet("mammalia;;;;", out var label) ? label.Raw : null, Is.EqualTo("b;mammalia;;;;;second"));
    }

    [Test]
    public void Parse_BadLine_ThrowsNamingFileAndLine()
    {
        var text = $"{Lion}\n\n{Wolf}\nu;mammalia;;;;\n";

        var ex = Assert.Throws<ModelBundleException>(() => SpeciesTaxonomy.Parse(new StringReader(text), "taxonomy_release.txt"));

        Assert.That(ex!.Message, Does.StartWith("taxonomy_release.txt line 4:").And.Contain("'u;mammalia;;;;'"));
    }

    [Test]
    public void Parse_WhitespaceAndBlankLines_AreIgnored()
    {
        var map = SpeciesTaxonomy.Parse(new StringReader($"\n  {Lion} \r\n\n"), "t.txt");

        Assert.That(map.TryGet("mammalia;carnivora;felidae;panthera;leo", out var lion) ? lion.Raw : null, Is.EqualTo(Lion));
    }
}
