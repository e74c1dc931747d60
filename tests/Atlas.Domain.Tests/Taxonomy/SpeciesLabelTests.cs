using Atlas.Domain.Errors;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests.Taxonomy;

public sealed class SpeciesLabelTests
{
    [Test]
    public void Parse_SevenFields_SplitsEveryFieldAndKeepsRaw()
    {
        const string raw = "436ddfdd-bc43-44c3-a25d-34671d3430a0;mammalia;carnivora;ursidae;ursus;americanus;american black bear";

        var label = SpeciesLabel.Parse(raw);

        Assert.Multiple(() =>
        {
            Assert.That(label.Raw, Is.SameAs(raw));
            Assert.That(label.ToString(), Is.EqualTo(raw));
            Assert.That(label.Uuid, Is.EqualTo("436ddfdd-bc43-44c3-a25d-34671d3430a0"));
            Assert.That(label.Class, Is.EqualTo("mammalia"));
            Assert.That(label.Order, Is.EqualTo("carnivora"));
            Assert.That(label.Family, Is.EqualTo("ursidae"));
            Assert.That(label.Genus, Is.EqualTo("ursus"));
            Assert.That(label.Species, Is.EqualTo("americanus"));
            Assert.That(label.CommonName, Is.EqualTo("american black bear"));
            Assert.That(label.FullClassString, Is.EqualTo("mammalia;carnivora;ursidae;ursus;americanus"));
        });
    }

    [TestCase("837e12c2-0000;aves;galliformes;;;;galliformes order", "aves;galliformes;;;")]
    [TestCase(SpecialLabels.Blank, ";;;;")]
    [TestCase(SpecialLabels.Human, "mammalia;primates;hominidae;homo;sapiens")]
    [TestCase("u;mammalia;rodentia;muridae;hylomyscus;stella;", "mammalia;rodentia;muridae;hylomyscus;stella")]
    public void FullClassString_AnyLabel_IsFiveTokensWithTrailingEmpties(string raw, string expected)
    {
        var key = SpeciesLabel.Parse(raw).FullClassString;

        Assert.Multiple(() =>
        {
            Assert.That(key, Is.EqualTo(expected));
            Assert.That(key.Split(';'), Has.Length.EqualTo(5));
        });
    }

    [TestCase("u;mammalia;carnivora;ursidae;ursus;americanus;american black bear", "american black bear")]
    [TestCase("u;mammalia;rodentia;muridae;hylomyscus;stella;", "hylomyscus stella")]
    [TestCase("u;mammalia;rodentia;muridae;hylomyscus;;", "hylomyscus species")]
    [TestCase("u;mammalia;rodentia;muridae;;;", "muridae family")]
    [TestCase("u;mammalia;rodentia;;;;", "rodentia order")]
    [TestCase("u;mammalia;;;;;", "mammalia class")]
    [TestCase("u-123;;;;;;", "u-123 category")]
    [TestCase(SpecialLabels.Blank, "blank")]
    public void DisplayName_ByAvailableFields_PicksMostReadableName(string raw, string expected) =>
        Assert.That(SpeciesLabel.Parse(raw).DisplayName, Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("u;mammalia;carnivora;ursidae;ursus;americanus")]
    [TestCase("u;mammalia;carnivora;ursidae;ursus;americanus;bear;extra")]
    [TestCase("just a name")]
    public void Parse_NotSevenFields_ThrowsNamingTheLabel(string raw)
    {
        var ex = Assert.Throws<ModelBundleException>(() => SpeciesLabel.Parse(raw));

        Assert.That(ex!.Message, Does.Contain($"'{raw}'").And.Contain("expected 7"));
    }

    [Test]
    public void TryParse_BadOrNull_ReturnsFalse()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SpeciesLabel.TryParse(null, out _), Is.False);
            Assert.That(SpeciesLabel.TryParse("a;b", out var bad), Is.False);
            Assert.That(bad, Is.Null);
            Assert.That(SpeciesLabel.TryParse(SpecialLabels.Vehicle, out var ok), Is.True);
            Assert.That(ok, Is.EqualTo(SpeciesLabel.Vehicle));
        });
    }

    [Test]
    public void Equality_SameRawString_Equal_DifferentRaw_NotEqual()
    {
        var a = SpeciesLabel.Parse(string.Concat("u;mammalia;;;;;", "mammal"));
        var b = SpeciesLabel.Parse("u;mammalia;;;;;mammal");
        var c = SpeciesLabel.Parse("u;mammalia;;;;;Mammal");

        Assert.Multiple(() =>
        {
            Assert.That(a == b, Is.True);
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(a != c, Is.True);
            Assert.That(a.Equals(null), Is.False);
        });
    }

    [Test]
    public void SpecialLabels_MatchTheSpecStrings()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SpeciesLabel.Blank.Raw, Is.EqualTo("f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank"));
            Assert.That(SpeciesLabel.Animal.Raw, Is.EqualTo("1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal"));
            Assert.That(SpeciesLabel.Human.Raw, Is.EqualTo("990ae9dd-7a59-4344-afcb-1b7b21368000;mammalia;primates;hominidae;homo;sapiens;human"));
            Assert.That(SpeciesLabel.Vehicle.Raw, Is.EqualTo("e2895ed5-780b-48f6-8a11-9e27cb594511;;;;;;vehicle"));
            Assert.That(SpeciesLabel.Unknown.Raw, Is.EqualTo(
                "f2efdae9-efb8-48fb-8a91-eccf79ab4ffb;no cv result;no cv result;no cv result;no cv result;no cv result;no cv result"));
        });
    }
}
