using System.Text.Json;
using Atlas.Application.Jobs;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Tests.Jobs;

[TestFixture]
public sealed class JobResultCodecTests
{
    private static string Canonical<T>(T value) => JsonSerializer.Serialize(value);

    [Test]
    public void Result_RoundTrips_EveryField()
    {
        var prediction = new SpeciesNetPrediction(
            [],
            new GeoLocation("USA", "NY", 41.46, -73.84),
            new Classifications(["a;b;c;d;e;f;g", "h;i;j;k;l;m;n"], [0.9, 0.05]),
            [new Detection("1", "animal", 0.93, [0.1, 0.2, 0.3, 0.4])],
            "a;b;c;d;e;f;g", 0.9, "classifier", "4.0.0a");
        var result = new BatchImageResult("cam/IMG_0001.JPG", prediction, "request", 2048, 1536,
            new ImageMetadata(41.46, -73.84, "2024-06-01T10:00:00+02:00", "Reconyx", "HC600", "123"),
            [new BoxPrediction("a;b;c;d;e;f;g", 0.8, "classifier", [0.1, 0.2, 0.3, 0.4])], null);

        var decoded = JobResultCodec.DecodeResult(JobResultCodec.EncodeResult(result));

        Assert.That(Canonical(decoded), Is.EqualTo(Canonical(result)));
    }

    [Test]
    public void FailedResult_RoundTrips_NullsStayNull()
    {
        var prediction = new SpeciesNetPrediction(["CLASSIFIER", "DETECTOR"], GeoLocation.None, null, null, null, null, null, "v");
        var result = new BatchImageResult("broken.jpg", prediction, "none", null, null, ImageMetadata.None, null, "not an image");

        var decoded = JobResultCodec.DecodeResult(JobResultCodec.EncodeResult(result));

        Assert.That(Canonical(decoded), Is.EqualTo(Canonical(result)));
        Assert.That(decoded.Prediction.Classifications, Is.Null);
        Assert.That(decoded.BoxPredictions, Is.Null);
    }

    [Test]
    public void Settings_RoundTrip()
    {
        var settings = new JobSettings(new AnalysisOptions(ComponentMode.Full, new BoxClassificationOptions(3, 0.2)), new GeoLocation("KEN", null, -1.2, 36.8));
        var json = JobResultCodec.EncodeSettings(settings);

        Assert.That(JobResultCodec.DecodeSettings(json), Is.EqualTo(settings));
        Assert.That(json, Does.Contain("\"full\""));
        Assert.That(JobResultCodec.DecodeSettings(JobResultCodec.EncodeSettings(new JobSettings(new AnalysisOptions(ComponentMode.DetectorOnly, null), GeoLocation.None))).Options.Mode,
            Is.EqualTo(ComponentMode.DetectorOnly));
    }

    [Test]
    public void Location_NoneIsNull()
    {
        Assert.That(JobResultCodec.EncodeLocation(GeoLocation.None), Is.Null);
        Assert.That(JobResultCodec.DecodeLocation(JobResultCodec.EncodeLocation(new GeoLocation("USA", "CA", null, null))), Is.EqualTo(new GeoLocation("USA", "CA", null, null)));
    }
}
