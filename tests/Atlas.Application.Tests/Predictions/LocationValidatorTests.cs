using Atlas.Application.Predictions;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Tests.Predictions;

[TestFixture]
public sealed class LocationValidatorTests
{
    private static readonly LocationValidator Validator = new();

    [Test]
    public void Validate_NoLocation_Passes() =>
        Assert.That(Validator.Validate(GeoLocation.None).IsValid, Is.True);

    [Test]
    public void Validate_FullLocation_Passes() =>
        Assert.That(Validator.Validate(new GeoLocation("USA", "NY", 41.46, -73.84)).IsValid, Is.True);

    [TestCase("US", null, null, null, "country")]
    [TestCase("USAA", null, null, null, "country")]
    [TestCase("XYZ", null, null, null, "country")]
    [TestCase("AAA", null, null, null, "country")]
    [TestCase(null, "NY", null, null, "admin1_region")]
    [TestCase("USA", "NEW YORK", null, null, "admin1_region")]
    [TestCase(null, null, 91.0, 0.0, "latitude")]
    [TestCase(null, null, 0.0, -181.0, "longitude")]
    [TestCase(null, null, 10.0, null, "longitude")]
    [TestCase(null, null, null, 10.0, "latitude")]
    public void Validate_BadField_FailsKeyedByFormField(string? country, string? admin1, double? lat, double? lon, string field)
    {
        var result = Validator.Validate(new GeoLocation(country, admin1, lat, lon));
        Assert.That(result.Errors.Select(e => e.PropertyName), Does.Contain(field), result.ToString());
    }

    [TestCase("XYZ")]
    [TestCase("qqq")]
    public void Validate_UnknownCountry_FailsOnceNamingTheCode(string country)
    {
        var result = Validator.Validate(new GeoLocation(country, null, null, null));
        Assert.That(result.Errors, Has.Count.EqualTo(1), result.ToString());
        Assert.That(result.Errors[0].PropertyName, Is.EqualTo("country"));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain($"'{country}'").And.Contain("ISO 3166-1"));
    }

    [TestCase("KEN")]
    [TestCase("gbr")]
    [TestCase("ATA")]
    [TestCase("XKX")]
    public void Validate_KnownCountry_Passes(string country) =>
        Assert.That(Validator.Validate(new GeoLocation(country, null, null, null)).IsValid, Is.True);
}
