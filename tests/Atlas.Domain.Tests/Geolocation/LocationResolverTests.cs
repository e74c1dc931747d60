using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Moq;

namespace Atlas.Domain.Tests.Geolocation;

[TestFixture]
public sealed class LocationResolverTests
{
    private static readonly string[] UsAndTerritories = ["USA", "ASM", "GUM", "MNP", "PRI", "UMI", "VIR"];

    private Mock<IUsRegionLocator> _locator = null!;
    private LocationResolver _resolver = null!;

    [SetUp]
    public void SetUp()
    {
        _locator = new Mock<IUsRegionLocator>(MockBehavior.Strict);
        _locator.Setup(l => l.Locate(65, -150)).Returns("AK");
        _locator.Setup(l => l.Locate(37, -119)).Returns("CA");
        _locator.Setup(l => l.Locate(38.92, -77.01)).Returns("DC");
        _locator.Setup(l => l.Locate(-14.23, -169.46)).Returns("AS");
        _locator.Setup(l => l.Locate(43.65, -79.38)).Returns((string?)null);
        _resolver = new LocationResolver(_locator.Object);
    }

    // The reference's cases (geolocation_test.py), with the locator answering as the geocoder does.
    [TestCase(65.0, -150.0, "AK")]
    [TestCase(37.0, -119.0, "CA")]
    [TestCase(38.92, -77.01, "DC")]
    [TestCase(-14.23, -169.46, "AS")]
    public void FindAdmin1Region_UsaWithCoordinates_ReturnsLocatorAnswer(double lat, double lon, string expected)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation("USA", null, lat, lon)), Is.EqualTo(expected));
    }

    [Test]
    public void FindAdmin1Region_UsaPointOffUsSoil_ReturnsNull()
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation("USA", null, 43.65, -79.38)), Is.Null);
    }

    [TestCase("ASM")]
    [TestCase("GUM")]
    [TestCase("MNP")]
    [TestCase("PRI")]
    [TestCase("UMI")]
    [TestCase("VIR")]
    public void FindAdmin1Region_UsTerritoryCountry_ReturnsNullWithoutLookup(string country)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation(country, null, -14.23, -169.46)), Is.Null);
        _locator.Verify(l => l.Locate(It.IsAny<double>(), It.IsAny<double>()), Times.Never);
    }

    [TestCase("CAN")]
    [TestCase("MEX")]
    [TestCase("usa")] // the reference compares codes exactly
    public void FindAdmin1Region_NotUsa_ReturnsNullWithoutLookup(string country)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation(country, null, 37, -119)), Is.Null);
        _locator.Verify(l => l.Locate(It.IsAny<double>(), It.IsAny<double>()), Times.Never);
    }

    [TestCase("USA", "NY")]
    [TestCase("USA", "XX")] // kept as given, even when the coordinates say CA
    [TestCase("CAN", "ON")]
    [TestCase("PRI", "PR")]
    public void FindAdmin1Region_CountryAndAdmin1Given_KeepsAdmin1(string country, string admin1)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation(country, admin1, 37, -119)), Is.EqualTo(admin1));
        _locator.Verify(l => l.Locate(It.IsAny<double>(), It.IsAny<double>()), Times.Never);
    }

    [TestCase(null, "CA")]
    [TestCase("", "CA")]
    [TestCase(null, null)]
    public void FindAdmin1Region_NoCountry_ReturnsNull(string? country, string? admin1)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation(country, admin1, 37, -119)), Is.Null);
    }

    [TestCase(null, -119.0)]
    [TestCase(37.0, null)]
    [TestCase(null, null)]
    public void FindAdmin1Region_UsaMissingCoordinate_ReturnsNull(double? lat, double? lon)
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation("USA", null, lat, lon)), Is.Null);
    }

    [Test]
    public void FindAdmin1Region_UsaEmptyAdmin1_DerivesFromCoordinates()
    {
        Assert.That(_resolver.FindAdmin1Region(new GeoLocation("USA", "", 37, -119)), Is.EqualTo("CA"));
    }

    [Test]
    public void Resolve_UsaWithCoordinates_EchoesEverythingAndAddsAdmin1()
    {
        var resolved = _resolver.Resolve(new GeoLocation("USA", null, 37, -119));

        Assert.That(resolved, Is.EqualTo(new GeoLocation("USA", "CA", 37, -119)));
    }

    [Test]
    public void Resolve_Admin1WithoutCountry_DropsAdmin1()
    {
        var resolved = _resolver.Resolve(new GeoLocation(null, "CA", 37, -119));

        Assert.That(resolved, Is.EqualTo(new GeoLocation(null, null, 37, -119)));
    }

    [Test]
    public void Resolve_AlreadyEffective_ReturnsSameInstance()
    {
        var location = new GeoLocation("USA", "NY", 41.46, -73.84);

        Assert.That(_resolver.Resolve(location), Is.SameAs(location));
    }

    [Test]
    public void Resolve_None_ReturnsNone()
    {
        Assert.That(_resolver.Resolve(GeoLocation.None), Is.EqualTo(GeoLocation.None));
    }

    [Test]
    public void ApplyOverride_NoCountry_KeepsInstanceEvenWithAdmin1()
    {
        var instance = new GeoLocation("CAN", null, 1, 2);

        Assert.That(LocationResolver.ApplyOverride(instance, null, "NY"), Is.SameAs(instance));
    }

    [Test]
    public void ApplyOverride_CountryOnly_ReplacesCountryKeepsInstanceAdmin1()
    {
        var result = LocationResolver.ApplyOverride(new GeoLocation("CAN", "ON", 1, 2), "USA", null);

        Assert.That(result, Is.EqualTo(new GeoLocation("USA", "ON", 1, 2)));
    }

    [Test]
    public void ApplyOverride_CountryAndAdmin1_ReplacesBoth()
    {
        var result = LocationResolver.ApplyOverride(new GeoLocation(null, null, 1, 2), "USA", "NY");

        Assert.That(result, Is.EqualTo(new GeoLocation("USA", "NY", 1, 2)));
    }

    [Test]
    public void Admin1SupportedCountries_Always_AreUsaAndItsTerritories()
    {
        Assert.That(LocationResolver.Admin1SupportedCountries, Is.EquivalentTo(UsAndTerritories));
    }
}
