using Atlas.Domain.Errors;
using Atlas.Domain.Geofencing;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests.Geofencing;

public sealed class GeofenceTests
{
    private const string BearKey = "mammalia;carnivora;ursidae;ursus;americanus";
    private static readonly SpeciesLabel Bear = SpeciesLabel.Parse($"u-bear;{BearKey};american black bear");

    private static bool Blocked(string rulesJson, string? country, string? admin1) =>
        Geofence.Parse($$"""{"{{BearKey}}": {{rulesJson}}}""").IsBlocked(Bear, country, admin1);

    [TestCase("""{"allow": {"USA": ["NY"]}}""", "", "NY", false, TestName = "IsBlocked_EmptyCountry_False")]
    [TestCase("""{"allow": {"USA": ["NY"]}}""", null, null, false, TestName = "IsBlocked_NullCountry_False")]
    [TestCase("""{}""", "CAN", null, false, TestName = "IsBlocked_NoRules_False")]
    [TestCase("""{"allow": {}}""", "CAN", null, false, TestName = "IsBlocked_AllowEmpty_False")]
    [TestCase("""{"allow": null, "block": {}}""", "CAN", "ON", false, TestName = "IsBlocked_AllowNullBlockEmpty_False")]
    [TestCase("""{"allow": {"USA": [], "CAN": []}}""", "MEX", null, true, TestName = "IsBlocked_AllowNonEmptyCountryMissing_True")]
    [TestCase("""{"allow": {"USA": [], "CAN": []}}""", "CAN", "ON", false, TestName = "IsBlocked_AllowWholeCountry_False")]
    [TestCase("""{"allow": {"USA": ["NY", "NJ"]}}""", "USA", "CA", true, TestName = "IsBlocked_Admin1NotInAllowList_True")]
    [TestCase("""{"allow": {"USA": ["NY", "NJ"]}}""", "USA", "NJ", false, TestName = "IsBlocked_Admin1InAllowList_False")]
    [TestCase("""{"allow": {"USA": ["NY", "NJ"]}}""", "USA", "", false, TestName = "IsBlocked_UsaWithoutAdmin1_False")]
    [TestCase("""{"allow": {"USA": ["NY", "NJ"]}}""", "USA", null, false, TestName = "IsBlocked_UsaNullAdmin1_False")]
    [TestCase("""{"allow": {"USA": ["NY"]}}""", "usa", "NY", true, TestName = "IsBlocked_CountryCodeComparedOrdinally_True")]
    [TestCase("""{"block": {"MEX": []}}""", "MEX", "", true, TestName = "IsBlocked_BlockWholeCountry_True")]
    [TestCase("""{"block": {"MEX": null}}""", "MEX", "", true, TestName = "IsBlocked_BlockNullRegions_WholeCountry_True")]
    [TestCase("""{"block": {"MEX": []}}""", "CAN", "", false, TestName = "IsBlocked_BlockOtherCountry_False")]
    [TestCase("""{"block": {"USA": ["TX"]}}""", "USA", "TX", true, TestName = "IsBlocked_BlockByAdmin1_True")]
    [TestCase("""{"block": {"USA": ["TX"]}}""", "USA", "NY", false, TestName = "IsBlocked_BlockOtherAdmin1_False")]
    [TestCase("""{"block": {"USA": ["TX"]}}""", "USA", "", false, TestName = "IsBlocked_BlockByAdmin1WithoutAdmin1_False")]
    [TestCase("""{"allow": {"USA": []}, "block": {"USA": []}}""", "USA", "NY", true, TestName = "IsBlocked_BlockWinsOverAllow_True")]
    [TestCase("""{"allow": {"USA": ["TX"]}, "block": {"USA": ["TX"]}}""", "USA", "TX", true, TestName = "IsBlocked_BlockAdmin1WinsOverAllowAdmin1_True")]
    public void IsBlocked_Table(string rulesJson, string? country, string? admin1, bool expected) =>
        Assert.That(Blocked(rulesJson, country, admin1), Is.EqualTo(expected));

    [Test]
    public void IsBlocked_TaxonAbsent_False()
    {
        var geofence = Geofence.Parse("""{"mammalia;carnivora;canidae;canis;lupus": {"allow": {"CAN": []}}}""");

        Assert.That(geofence.IsBlocked(Bear, "MEX", null), Is.False);
    }

    [Test]
    public void IsBlocked_HigherTaxonKey_MatchesItsFullClassString()
    {
        var geofence = Geofence.Parse("""{"mammalia;carnivora;ursidae;;": {"block": {"AUS": []}}}""");

        Assert.Multiple(() =>
        {
            Assert.That(geofence.IsBlocked(SpeciesLabel.Parse("u;mammalia;carnivora;ursidae;;;bear family"), "AUS", null), Is.True);
            Assert.That(geofence.IsBlocked(Bear, "AUS", null), Is.False);
        });
    }

    [Test]
    public void Empty_NothingBlocked() =>
        Assert.That(Geofence.Empty.IsBlocked(Bear, "USA", "NY") || Geofence.Empty.Count != 0, Is.False);

    [Test]
    public void Parse_Stream_ReadsRules()
    {
        using var stream = new MemoryStream("""{"a;b;c;d;e": {"allow": {"USA": []}}, "f;g;;;": {"block": {"KEN": []}}}"""u8.ToArray());

        Assert.That(Geofence.Parse(stream, "geofence_release.json").Count, Is.EqualTo(2));
    }

    [TestCase("{not json", "not valid JSON")]
    [TestCase("", "not valid JSON")]
    [TestCase("""["a"]""", "the document must be an object")]
    [TestCase("""{"k;;;;": "allow"}""", "taxon \"k;;;;\" must be an object")]
    [TestCase("""{"k;;;;": {"allow": ["USA"]}}""", "taxon \"k;;;;\" \"allow\" must be an object")]
    [TestCase("""{"k;;;;": {"block": {"USA": "NY"}}}""", "\"block\" \"USA\" must be a list")]
    [TestCase("""{"k;;;;": {"allow": {"USA": [1]}}}""", "\"allow\" \"USA\" must list admin1 regions as strings")]
    public void Parse_MalformedOrWrongShape_ThrowsWithSourceAndReason(string json, string expected)
    {
        var ex = Assert.Throws<ModelBundleException>(() => Geofence.Parse(json, "geofence_release.json"));

        Assert.That(ex!.Message, Does.StartWith("geofence_release.json: ").And.Contain(expected));
    }
}
