using Atlas.Infrastructure.Geolocation;

namespace Atlas.Infrastructure.Tests.Geolocation;

[TestFixture]
public sealed class UsRegionLocatorTests
{
    private static readonly string[] OutlyingCodes = ["AK", "HI", "DC", "AS", "GU", "MP", "PR", "VI"];

    private readonly UsRegionLocator _locator = new();

    // The reference's own cases (speciesnet geolocation_test.py).
    [TestCase(65.0, -150.0, "AK")]
    [TestCase(37.0, -119.0, "CA")]
    [TestCase(38.92, -77.01, "DC")]
    [TestCase(-14.23, -169.46, "AS")]
    public void Locate_ReferenceCases_ReturnsReferenceCode(double lat, double lon, string expected)
    {
        Assert.That(_locator.Locate(lat, lon), Is.EqualTo(expected));
    }

    // One point per state: the capitals (several are on a coast or a border river).
    [TestCase(32.3792, -86.3077, "AL")]
    [TestCase(58.3019, -134.4197, "AK")]
    [TestCase(33.4484, -112.0740, "AZ")]
    [TestCase(34.7465, -92.2896, "AR")]
    [TestCase(38.5816, -121.4944, "CA")]
    [TestCase(39.7392, -104.9903, "CO")]
    [TestCase(41.7658, -72.6734, "CT")]
    [TestCase(39.1582, -75.5244, "DE")]
    [TestCase(30.4383, -84.2807, "FL")]
    [TestCase(33.7490, -84.3880, "GA")]
    [TestCase(21.3069, -157.8583, "HI")]
    [TestCase(43.6150, -116.2023, "ID")]
    [TestCase(39.7817, -89.6501, "IL")]
    [TestCase(39.7684, -86.1581, "IN")]
    [TestCase(41.5868, -93.6250, "IA")]
    [TestCase(39.0473, -95.6752, "KS")]
    [TestCase(38.2009, -84.8733, "KY")]
    [TestCase(30.4515, -91.1871, "LA")]
    [TestCase(44.3106, -69.7795, "ME")]
    [TestCase(38.9784, -76.4922, "MD")]
    [TestCase(42.3601, -71.0589, "MA")]
    [TestCase(42.7325, -84.5555, "MI")]
    [TestCase(44.9537, -93.0900, "MN")]
    [TestCase(32.2988, -90.1848, "MS")]
    [TestCase(38.5767, -92.1735, "MO")]
    [TestCase(46.5891, -112.0391, "MT")]
    [TestCase(40.8136, -96.7026, "NE")]
    [TestCase(39.1638, -119.7674, "NV")]
    [TestCase(43.2081, -71.5376, "NH")]
    [TestCase(40.2171, -74.7429, "NJ")]
    [TestCase(35.6870, -105.9378, "NM")]
    [TestCase(42.6526, -73.7562, "NY")]
    [TestCase(35.7796, -78.6382, "NC")]
    [TestCase(46.8083, -100.7837, "ND")]
    [TestCase(39.9612, -82.9988, "OH")]
    [TestCase(35.4676, -97.5164, "OK")]
    [TestCase(44.9429, -123.0351, "OR")]
    [TestCase(40.2732, -76.8867, "PA")]
    [TestCase(41.8240, -71.4128, "RI")]
    [TestCase(34.0007, -81.0348, "SC")]
    [TestCase(44.3683, -100.3510, "SD")]
    [TestCase(36.1627, -86.7816, "TN")]
    [TestCase(30.2672, -97.7431, "TX")]
    [TestCase(40.7608, -111.8910, "UT")]
    [TestCase(44.2601, -72.5754, "VT")]
    [TestCase(37.5407, -77.4360, "VA")]
    [TestCase(47.0379, -122.9007, "WA")]
    [TestCase(38.3498, -81.6326, "WV")]
    [TestCase(43.0731, -89.4012, "WI")]
    [TestCase(41.1400, -104.8202, "WY")]
    public void Locate_StateCapital_ReturnsState(double lat, double lon, string expected)
    {
        Assert.That(_locator.Locate(lat, lon), Is.EqualTo(expected));
    }

    [TestCase(18.4655, -66.1057, "PR")] // San Juan
    [TestCase(18.3419, -64.9307, "VI")] // Charlotte Amalie
    [TestCase(13.4757, 144.7489, "GU")] // Hagåtña
    [TestCase(15.1850, 145.7467, "MP")] // Saipan
    [TestCase(-14.2794, -170.7006, "AS")] // Pago Pago
    public void Locate_TerritoryCapital_ReturnsTerritoryAlpha2(double lat, double lon, string expected)
    {
        Assert.That(_locator.Locate(lat, lon), Is.EqualTo(expected));
    }

    // The Aleutians straddle the antimeridian; longitudes outside -180..180 are wrapped.
    [TestCase(52.85, 173.15, "AK")] // Attu Island (east longitude)
    [TestCase(51.95, 179.60, "AK")] // Semisopochnoi Island (east longitude)
    [TestCase(51.88, -176.66, "AK")] // Adak
    [TestCase(52.20, 185.80, "AK")] // Atka Island written as 185.8 E
    [TestCase(37.0, 241.0, "CA")] // -119 written as 241
    [TestCase(37.0, -479.0, "CA")] // -119 - 360
    public void Locate_AntimeridianAndWrappedLongitudes_ReturnsAlaskaOrState(double lat, double lon, string expected)
    {
        Assert.That(_locator.Locate(lat, lon), Is.EqualTo(expected));
    }

    [TestCase(43.6532, -79.3832)] // Toronto, ~50 km across Lake Ontario from New York
    [TestCase(49.2827, -123.1207)] // Vancouver, ~25 km from Washington
    [TestCase(45.5019, -73.5674)] // Montreal
    [TestCase(32.5149, -117.0382)] // Tijuana, ~3 km from California
    [TestCase(31.7200, -106.4600)] // Ciudad Juárez, across the river from El Paso
    [TestCase(19.4326, -99.1332)] // Mexico City
    [TestCase(23.1136, -82.3666)] // Havana
    [TestCase(18.4286, -64.6185)] // Road Town, British Virgin Islands
    [TestCase(-13.8333, -171.7667)] // Apia, Samoa
    [TestCase(64.7333, 177.5167)] // Anadyr, Chukotka
    [TestCase(64.4233, -173.2258)] // Provideniya, Chukotka west of 180
    public void Locate_ForeignPlaceNearUs_ReturnsNull(double lat, double lon)
    {
        Assert.That(_locator.Locate(lat, lon), Is.Null);
    }

    [TestCase(30.0, -140.0)] // North Pacific
    [TestCase(35.0, -50.0)] // North Atlantic
    [TestCase(0.0, 0.0)]
    [TestCase(48.8566, 2.3522)] // Paris
    [TestCase(-90.0, 0.0)]
    [TestCase(90.0, 0.0)]
    public void Locate_FarFromUsSoil_ReturnsNull(double lat, double lon)
    {
        Assert.That(_locator.Locate(lat, lon), Is.Null);
    }

    // Off the coast, inside the snap radius: the nearest land decides.
    [TestCase(29.05, -94.75, "TX")] // Gulf of Mexico, ~20 km off Galveston
    [TestCase(24.45, -81.80, "FL")] // just south of Key West
    [TestCase(21.20, -157.85, "HI")] // ~10 km south of Honolulu
    public void Locate_CoastalWaterNearState_ReturnsNearestState(double lat, double lon, string expected)
    {
        Assert.That(_locator.Locate(lat, lon), Is.EqualTo(expected));
    }

    [TestCase(double.NaN, -119.0)]
    [TestCase(37.0, double.NaN)]
    [TestCase(37.0, double.PositiveInfinity)]
    [TestCase(91.0, -119.0)]
    [TestCase(-90.5, -119.0)]
    public void Locate_InvalidCoordinate_ReturnsNull(double lat, double lon)
    {
        Assert.That(_locator.Locate(lat, lon), Is.Null);
    }

    [Test]
    public void Locate_ManyThreadsAtOnce_AgreeWithSingleThread()
    {
        var points = new (double Lat, double Lon, string? Expected)[]
        {
            (65, -150, "AK"), (37, -119, "CA"), (38.92, -77.01, "DC"), (43.6532, -79.3832, null), (30, -140, null),
        };

        var results = new string?[64 * points.Length];
        Parallel.For(0, results.Length, i => results[i] = new UsRegionLocator().Locate(points[i % points.Length].Lat, points[i % points.Length].Lon));

        Assert.That(results, Is.EqualTo(Enumerable.Range(0, results.Length).Select(i => points[i % points.Length].Expected)));
    }

    [Test]
    public void Index_EmbeddedData_HasEveryStateDcAndTerritory()
    {
        var codes = UsRegionLocator.Index.RegionCodes;

        Assert.That(codes, Has.Count.EqualTo(56));
        Assert.That(codes, Is.SupersetOf(OutlyingCodes));
        Assert.That(codes.All(c => c.Length == 2 && c.All(char.IsAsciiLetterUpper)), Is.True);
    }

    [Test]
    public void Parse_CorruptedHeader_Throws()
    {
        Assert.That(() => UsRegionIndex.Parse("USRX\u0001\0\0"u8), Throws.TypeOf<InvalidDataException>());
    }
}
