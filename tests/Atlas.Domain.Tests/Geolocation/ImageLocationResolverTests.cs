using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Moq;

namespace Atlas.Domain.Tests.Geolocation;

[TestFixture]
public sealed class ImageLocationResolverTests
{
    private ImageLocationResolver _resolver = null!;

    [SetUp]
    public void SetUp()
    {
        var countries = new Mock<ICountryLocator>(MockBehavior.Strict);
        countries.Setup(c => c.Locate(41.46, -73.84)).Returns("USA");
        countries.Setup(c => c.Locate(65, -150)).Returns("USA");
        countries.Setup(c => c.Locate(-1.29, 36.82)).Returns("KEN");
        countries.Setup(c => c.Locate(48.2, 16.37)).Returns("AUT");
        countries.Setup(c => c.Locate(0, -30)).Returns((string?)null);
        var regions = new Mock<IUsRegionLocator>(MockBehavior.Strict);
        regions.Setup(r => r.Locate(41.46, -73.84)).Returns("NY");
        regions.Setup(r => r.Locate(65, -150)).Returns("AK");
        regions.Setup(r => r.Locate(48.2, 16.37)).Returns((string?)null);
        _resolver = new ImageLocationResolver(countries.Object, new LocationResolver(regions.Object));
    }

    private static ImageMetadata Exif(double lat, double lon) => ImageMetadata.None with { Latitude = lat, Longitude = lon };

    private static IEnumerable<TestCaseData> Cases()
    {
        // request, EXIF, expected location, source, coordinates from EXIF
        yield return new TestCaseData(null, null, GeoLocation.None, LocationSource.None, false).SetName("nothing");
        yield return new TestCaseData(GeoLocation.None, ImageMetadata.None, GeoLocation.None, LocationSource.None, false).SetName("empty request, no GPS");
        yield return new TestCaseData(null, ImageMetadata.None with { CameraMake = "X" }, GeoLocation.None, LocationSource.None, false).SetName("metadata without GPS");
        yield return new TestCaseData(null, Exif(41.46, -73.84), new GeoLocation("USA", "NY", 41.46, -73.84), LocationSource.Exif, true).SetName("EXIF only, USA: country and state derived");
        yield return new TestCaseData(null, Exif(-1.29, 36.82), new GeoLocation("KEN", null, -1.29, 36.82), LocationSource.Exif, true).SetName("EXIF only, Kenya: no admin1");
        yield return new TestCaseData(null, Exif(0, -30), new GeoLocation(null, null, 0, -30), LocationSource.Exif, true).SetName("EXIF at sea: coordinates kept, no country");
        yield return new TestCaseData(new GeoLocation(null, null, 65, -150), Exif(48.2, 16.37), new GeoLocation("USA", "AK", 65, -150), LocationSource.Request, false).SetName("request coordinates win over EXIF");
        yield return new TestCaseData(new GeoLocation("GBR", null, null, null), Exif(-1.29, 36.82), new GeoLocation("GBR", null, -1.29, 36.82), LocationSource.Request, true).SetName("request country wins, EXIF fills coordinates");
        yield return new TestCaseData(new GeoLocation("USA", null, null, null), Exif(65, -150), new GeoLocation("USA", "AK", 65, -150), LocationSource.Request, true).SetName("request USA, admin1 from EXIF coordinates");
        yield return new TestCaseData(new GeoLocation("USA", "CA", null, null), Exif(41.46, -73.84), new GeoLocation("USA", "CA", 41.46, -73.84), LocationSource.Request, true).SetName("request admin1 wins over derived");
        yield return new TestCaseData(new GeoLocation("USA", null, 48.2, 16.37), null, new GeoLocation("USA", null, 48.2, 16.37), LocationSource.Request, false).SetName("explicit USA off US soil: admin1 null, country kept");
        yield return new TestCaseData(new GeoLocation("KEN", null, null, null), null, new GeoLocation("KEN", null, null, null), LocationSource.Request, false).SetName("country only");
        yield return new TestCaseData(new GeoLocation(null, null, 0, -30), null, new GeoLocation(null, null, 0, -30), LocationSource.Request, false).SetName("request coordinates at sea");
        yield return new TestCaseData(new GeoLocation(null, "NY", null, null), null, GeoLocation.None, LocationSource.None, false).SetName("admin1 alone is dropped");
        yield return new TestCaseData(new GeoLocation(null, "NY", 41.46, -73.84), null, new GeoLocation("USA", "NY", 41.46, -73.84), LocationSource.Request, false).SetName("admin1 with derived country is kept");
        yield return new TestCaseData(new GeoLocation("", "", null, null), Exif(48.2, 16.37), new GeoLocation("AUT", null, 48.2, 16.37), LocationSource.Exif, true).SetName("empty strings count as not given");
        yield return new TestCaseData(null, ImageMetadata.None with { Latitude = 41.46 }, GeoLocation.None, LocationSource.None, false).SetName("half an EXIF position is ignored");
    }

    [TestCaseSource(nameof(Cases))]
    public void Resolve(GeoLocation? request, ImageMetadata? exif, GeoLocation expected, LocationSource source, bool fromExif)
    {
        var resolved = _resolver.Resolve(request, exif);
        Assert.Multiple(() =>
        {
            Assert.That(resolved.Location, Is.EqualTo(expected));
            Assert.That(resolved.Source, Is.EqualTo(source));
            Assert.That(resolved.CoordinatesFromExif, Is.EqualTo(fromExif));
        });
    }

    [TestCase(LocationSource.None, "none")]
    [TestCase(LocationSource.Request, "request")]
    [TestCase(LocationSource.Exif, "exif")]
    public void Wire_names(LocationSource source, string wire) => Assert.That(source.ToWire(), Is.EqualTo(wire));
}
