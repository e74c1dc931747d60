using Atlas.Application.Images;
using Atlas.Application.Predictions.ClassifyImage;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Moq;

namespace Atlas.Application.Tests.Predictions;

[TestFixture]
public sealed class ClassifyImageHandlerTests
{
    [Test]
    public async Task Handle_LowerCaseCountryWithCoordinates_NormalisesAndDerivesAdmin1()
    {
        var locator = new Mock<IUsRegionLocator>();
        locator.Setup(l => l.Locate(41.46, -73.84)).Returns("NY");
        var classifier = new Mock<ISpeciesClassifier>();
        GeoLocation? seen = null;
        classifier.Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Callback((ReadOnlyMemory<byte> _, GeoLocation l, CancellationToken _) => seen = l)
            .ReturnsAsync((ReadOnlyMemory<byte> _, GeoLocation l, CancellationToken _) => new SpeciesNetPrediction([], l, null, [], null, null, null, "v"));
        var handler = new ClassifyImageHandler(classifier.Object, new LocationResolver(locator.Object));
        var upload = new ImageUpload("file", "a.jpg", "image/jpeg", new byte[] { 0xFF, 0xD8, 0xFF, 1 });

        var result = await handler.Handle(new ClassifyImageCommand(upload, new GeoLocation("usa", null, 41.46, -73.84)), CancellationToken.None);

        Assert.That(seen, Is.EqualTo(new GeoLocation("USA", "NY", 41.46, -73.84)));
        Assert.That(result.FileName, Is.EqualTo("a.jpg"));
        Assert.That(result.ContentSize, Is.EqualTo(4));
    }
}
