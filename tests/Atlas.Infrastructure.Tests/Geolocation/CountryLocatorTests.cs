using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Geolocation;

namespace Atlas.Infrastructure.Tests.Geolocation;

[TestFixture]
public sealed class CountryLocatorTests
{
    private static readonly CountryLocator Locator = new();

    [TestCase(41.46, -73.84, "USA")]
    [TestCase(65.0, -150.0, "USA")]
    [TestCase(38.92, -77.01, "USA")]
    [TestCase(-1.29, 36.82, "KEN")]
    [TestCase(48.2, 16.37, "AUT")]
    [TestCase(51.5, -0.12, "GBR")]
    [TestCase(-33.87, 151.21, "AUS")]
    [TestCase(-22.9, -43.2, "BRA")]
    [TestCase(35.68, 139.69, "JPN")]
    [TestCase(-17.8, 178.0, "FJI")]   // Fiji straddles the antimeridian
    [TestCase(-16.6, -179.95, "FJI")]
    [TestCase(66.0, -175.0, "RUS")]   // Chukotka, west of the antimeridian
    [TestCase(66.0, 175.0, "RUS")]
    [TestCase(-80.0, 0.0, "ATA")]
    [TestCase(-89.9, 45.0, "ATA")]    // near the pole: world-atlas's spherical Antarctica made planar
    [TestCase(-85.0, 179.9, "ATA")]
    [TestCase(46.95, 7.45, "CHE")]    // landlocked, between several neighbours
    [TestCase(18.2, -66.5, "PRI")]    // Puerto Rico is its own ISO country
    public void Points_on_land_get_their_country(double lat, double lon, string expected) =>
        Assert.That(Locator.Locate(lat, lon), Is.EqualTo(expected));

    [TestCase(0.0, -30.0)]
    [TestCase(40.0, -40.0)]
    [TestCase(0.0, 0.0)]
    [TestCase(-40.0, 90.0)]
    [TestCase(30.0, -150.0)]
    [TestCase(38.78, -10.1)]   // 50 km off Cabo da Roca: beyond the coast tolerance
    public void Points_at_sea_get_no_country(double lat, double lon) =>
        Assert.That(Locator.Locate(lat, lon), Is.Null);

    [Test]
    public void A_point_just_off_a_generalised_coast_snaps_to_the_nearest_country()
    {
        // Cabo da Roca (Portugal) is at 38.78 N, 9.50 W; 38.78, -9.56 is about 5 km out at sea.
        Assert.That(Locator.Locate(38.78, -9.56), Is.EqualTo("PRT"));
    }

    // Features world-atlas ships without an ISO numeric id (see build_countries.py).
    [TestCase(9.56, 44.06, "SOM")]     // Hargeisa, Somaliland
    [TestCase(35.3, 33.9, "CYP")]      // northern Cyprus
    [TestCase(42.66, 21.16, "XKK")]    // Pristina, Kosovo
    [TestCase(-10.49, 105.62, "CXR")]  // Christmas Island
    [TestCase(-12.19, 96.83, "CCK")]   // Cocos (Keeling) Islands
    public void Features_without_an_iso_id_are_mapped_as_documented(double lat, double lon, string expected) =>
        Assert.That(Locator.Locate(lat, lon), Is.EqualTo(expected));

    [TestCase(double.NaN, 0.0)]
    [TestCase(0.0, double.PositiveInfinity)]
    [TestCase(91.0, 0.0)]
    [TestCase(0.0, 181.0)]
    public void Invalid_coordinates_get_no_country(double lat, double lon) =>
        Assert.That(Locator.Locate(lat, lon), Is.Null);

    [Test]
    public void Longitude_180_is_the_same_as_minus_180() =>
        Assert.That(Locator.Locate(66.0, 180.0), Is.EqualTo(Locator.Locate(66.0, -180.0)).And.EqualTo("RUS"));

    [Test]
    public void Every_code_is_upper_case_alpha_3_and_the_world_is_covered()
    {
        var codes = CountryLocator.Index.Codes;
        Assert.That(codes, Has.Count.GreaterThan(230));
        Assert.That(codes, Has.All.Match("^[A-Z]{3}$"));
        Assert.That(codes, Does.Contain("USA").And.Contain("KEN").And.Contain("AUT").And.Contain("ATA"));
    }

    [Test]
    public void Concurrent_lookups_agree_with_sequential_ones()
    {
        var points = new List<(double Lat, double Lon)>();
        var rng = new Random(8);
        for (var i = 0; i < 400; i++) points.Add((rng.NextDouble() * 140 - 60, rng.NextDouble() * 360 - 180));
        var expected = points.Select(p => Locator.Locate(p.Lat, p.Lon)).ToArray();
        var actual = new string?[points.Count];
        Parallel.For(0, points.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = Locator.Locate(points[i].Lat, points[i].Lon));
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(expected.Count(c => c is not null), Is.InRange(60, 240), "about a third of random points are on land");
    }

    // The full stack the /v1 routes use: EXIF coordinates -> country (this locator) -> admin1 (US regions).
    [TestCase(41.46, -73.84, "USA", "NY")]
    [TestCase(65.0, -150.0, "USA", "AK")]
    [TestCase(38.92, -77.01, "USA", "DC")]
    [TestCase(-1.29, 36.82, "KEN", null)]
    [TestCase(48.2, 16.37, "AUT", null)]
    [TestCase(0.0, -30.0, null, null)]
    [TestCase(40.0, -40.0, null, null)]
    public void Known_points_through_the_image_location_resolver(double lat, double lon, string? country, string? admin1)
    {
        var resolver = new ImageLocationResolver(Locator, new LocationResolver(new UsRegionLocator()));
        var fromExif = resolver.Resolve(null, ImageMetadata.None with { Latitude = lat, Longitude = lon });
        var fromRequest = resolver.Resolve(new GeoLocation(null, null, lat, lon), null);
        Assert.Multiple(() =>
        {
            Assert.That(fromExif.Location, Is.EqualTo(new GeoLocation(country, admin1, lat, lon)));
            Assert.That(fromExif.Source, Is.EqualTo(LocationSource.Exif));
            Assert.That(fromRequest.Location, Is.EqualTo(new GeoLocation(country, admin1, lat, lon)));
            Assert.That(fromRequest.Source, Is.EqualTo(LocationSource.Request));
        });
    }
}
