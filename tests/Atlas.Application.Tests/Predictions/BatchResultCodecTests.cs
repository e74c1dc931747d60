using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Tests.Predictions;

public sealed class BatchResultCodecTests
{
    private static BatchImageResult Full() => new(
        "cam1/IMG_0001.JPG",
        new SpeciesNetPrediction(
            [],
            new GeoLocation("USA", "NY", 41.46, -73.84),
            new Classifications(["a;b;c;d;e;f;g", "h;i;j;k;l;m;n"], [0.1 + 0.2, 1e-17]),
            [new Detection("1", "animal", 0.987654321012345, [0.1, 0.2, 0.3, 0.4])],
            "a;b;c;d;e;f;g",
            0.30000000000000004,
            "classifier",
            "4.0.1a"),
        "exif",
        2048,
        1536,
        new ImageMetadata(41.46, -73.84, "2024:05:01 06:30:00", "Reconyx", "HF2", "H5000"),
        [new BoxPrediction("a;b;c;d;e;f;g", 0.5, "classifier", [0.1, 0.2, 0.3, 0.4])],
        null);

    private static BatchImageResult Failed() => new(
        "broken.jpg",
        new SpeciesNetPrediction(["CLASSIFIER", "DETECTOR"], new GeoLocation(null, null, null, null), null, null, null, null, null, "4.0.1a"),
        "none", null, null, ImageMetadata.None, null, "The file is not an image.");

    [Test]
    public void RoundTrip_EveryField_Kept()
    {
        foreach (var result in new[] { Full(), Failed() })
        {
            var bytes = BatchResultCodec.Serialize(result);
            var back = BatchResultCodec.Deserialize(bytes);
            Assert.That(BatchResultCodec.Serialize(back), Is.EqualTo(bytes));
            Assert.That(back.FilePath, Is.EqualTo(result.FilePath));
            Assert.That(back.Prediction.Location, Is.EqualTo(result.Prediction.Location));
            Assert.That(back.Metadata, Is.EqualTo(result.Metadata));
            Assert.That(back.Error, Is.EqualTo(result.Error));
            Assert.That(back.Prediction.Failures, Is.EqualTo(result.Prediction.Failures));
        }
        var full = BatchResultCodec.Deserialize(BatchResultCodec.Serialize(Full()));
        Assert.That(full.Prediction.Classifications!.Scores, Is.EqualTo(new[] { 0.1 + 0.2, 1e-17 }));
        Assert.That(full.Prediction.Detections![0].Conf, Is.EqualTo(0.987654321012345));
        Assert.That(full.BoxPredictions![0].Bbox, Is.EqualTo(new[] { 0.1, 0.2, 0.3, 0.4 }));
        Assert.That(full.Width, Is.EqualTo(2048));
    }

    [Test]
    public void NonFiniteScores_RoundTrip()
    {
        var r = Full() with { Prediction = Full().Prediction with { PredictionScore = double.NaN } };
        Assert.That(BatchResultCodec.Deserialize(BatchResultCodec.Serialize(r)).Prediction.PredictionScore, Is.NaN);
    }

    [Test]
    public async Task InMemorySource_ReadsInOrder_AndByIndex()
    {
        var source = new InMemoryBatchResults([Full(), Failed()]);
        var all = new List<string>();
        await foreach (var r in source.ReadAllAsync(CancellationToken.None)) all.Add(r.FilePath);
        Assert.That(all, Is.EqualTo(new[] { "cam1/IMG_0001.JPG", "broken.jpg" }));
        Assert.That((await source.ReadAtAsync(1, CancellationToken.None)).FilePath, Is.EqualTo("broken.jpg"));
    }
}
