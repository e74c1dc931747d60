using Atlas.Domain.Geolocation;

namespace Atlas.Domain.Tests.Geolocation;

[TestFixture]
public sealed class CountryCodesTests
{
    [Test]
    public void Count_Is249IsoCodesPlusKosovo() => Assert.That(CountryCodes.Count, Is.EqualTo(250));

    [TestCase("USA", true)]
    [TestCase("usa", true)]
    [TestCase("UMI", true)]
    [TestCase("XYZ", false)]
    [TestCase("US", false)]
    [TestCase(null, false)]
    public void IsKnown_Codes(string? code, bool expected) => Assert.That(CountryCodes.IsKnown(code), Is.EqualTo(expected));

    [Test]
    public void IsKnown_EveryCountryOfSpeciesNetsGeofenceTable()
    {
        // ../shared/speciesnet/geofence_fixes.csv: species,rule,country_code,admin1_region_code
        var lines = File.ReadAllLines(SharedData.RequireFile("geofence_fixes.csv")).Skip(1);
        var countries = lines.Select(l => l.Split(',')).Where(f => f.Length > 2).Select(f => f[2].Trim()).Where(c => c.Length > 0).Distinct().ToArray();

        Assert.That(countries, Has.Length.GreaterThan(200));
        Assert.That(countries.Where(c => !CountryCodes.IsKnown(c)), Is.Empty);
    }

    [Test]
    public void IsKnown_EveryCountryOfTheGoldenPredictions()
    {
        var json = File.ReadAllText(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json"));
        var countries = System.Text.RegularExpressions.Regex.Matches(json, "\"country\":\\s*\"([^\"]*)\"").Select(m => m.Groups[1].Value).Distinct().ToArray();

        Assert.That(countries, Is.Not.Empty);
        Assert.That(countries.Where(c => !CountryCodes.IsKnown(c)), Is.Empty);
    }
}
