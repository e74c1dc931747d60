using System.Text;
using System.Text.Json;
using Atlas.Api.Contracts.Batch;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Api.Tests.Batch;

/// <summary>The spool gives back what was written, and the writers produce the same answer from it as from memory.</summary>
public sealed class BatchResultSpoolTests
{
    private static List<BatchImageResult> Results(int count) => [.. Enumerable.Range(0, count).Select(i => new BatchImageResult(
        $"dir/{(i * 37) % count:D4}.jpg",
        i % 9 == 4
            ? new SpeciesNetPrediction(["CLASSIFIER", "DETECTOR"], new GeoLocation(null, null, null, null), null, null, null, null, null, "v")
            : new SpeciesNetPrediction(
                [],
                new GeoLocation("KEN", null, -1.29, 36.82),
                new Classifications([$"u{i % 5};mammalia;order;family;genus;species{i % 5};animal {i % 5}", "blank;;;;;;blank"], [0.8, 0.1]),
                i % 7 == 0 ? [] : [new Detection("1", "animal", 0.9 - i * 1e-4, [0.1, 0.2, 0.3, 0.4]), new Detection("2", "human", 0.2, [0.5, 0.5, 0.1, 0.1])],
                $"u{i % 5};mammalia;order;family;genus;species{i % 5};animal {i % 5}",
                0.8,
                "classifier",
                "v"),
        "request", 640, 480, ImageMetadata.None,
        i % 3 == 0 ? [new BoxPrediction($"u{(i + 1) % 5};mammalia;order;family;genus;species{(i + 1) % 5};animal {(i + 1) % 5}", 0.7, "classifier", [0.1, 0.2, 0.3, 0.4])] : null,
        null))];

    [Test]
    public async Task Spool_ReadsBackEveryResult_InOrder_AndByIndex()
    {
        var results = Results(300);
        await using var spool = BatchResultSpool.Create();
        foreach (var r in results) await spool.AddAsync(r, CancellationToken.None);

        Assert.That(spool.Count, Is.EqualTo(300));
        var i = 0;
        await foreach (var r in spool.ReadAllAsync(CancellationToken.None))
        {
            Assert.That(BatchResultCodec.Serialize(r), Is.EqualTo(BatchResultCodec.Serialize(results[i++])));
        }
        Assert.That((await spool.ReadAtAsync(123, CancellationToken.None)).FilePath, Is.EqualTo(results[123].FilePath));
    }

    [TestCase(OutputFormat.SpeciesNet)]
    [TestCase(OutputFormat.MegaDetector)]
    [TestCase(OutputFormat.Csv)]
    public async Task Writers_FromSpool_SameBytesAsFromMemory(OutputFormat format)
    {
        var results = Results(500);
        await using var spool = BatchResultSpool.Create();
        foreach (var r in results) await spool.AddAsync(r, CancellationToken.None);

        var fromSpool = Normalise(await WriteAsync(format, spool));
        var fromMemory = Normalise(await WriteAsync(format, new InMemoryBatchResults(results)));
        Assert.That(fromSpool.Length, Is.GreaterThan(SpeciesNetJsonWriter.FlushThreshold * 3 / 2));
        Assert.That(fromSpool, Is.EqualTo(fromMemory));
        if (format == OutputFormat.MegaDetector)
        {
            using var json = JsonDocument.Parse(fromSpool);
            Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty);
        }
    }

    private static async Task<string> WriteAsync(OutputFormat format, IBatchResultSource source)
    {
        using var stream = new MemoryStream();
        if (format == OutputFormat.Csv)
        {
            await CsvWriter.WriteAsync(stream, source, CancellationToken.None);
        }
        else
        {
            await using var json = new Utf8JsonWriter(stream);
            if (format == OutputFormat.MegaDetector) await MegaDetectorWriter.WriteAsync(json, source, "v", CancellationToken.None);
            else await SpeciesNetJsonWriter.WriteAsync(json, source, ComponentMode.Full, CancellationToken.None);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The MegaDetector header carries the time of writing.</summary>
    private static string Normalise(string answer) =>
        System.Text.RegularExpressions.Regex.Replace(answer, "\"(detection|classification)_completion_time\":\"[^\"]*\"", "\"$1_completion_time\":\"t\"");
}
