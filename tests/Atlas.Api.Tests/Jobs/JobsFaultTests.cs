using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.SpeciesNet;
using Moq;
using SkiaSharp;

namespace Atlas.Api.Tests.Jobs;

/// <summary>
/// A task that keeps failing for a reason that is not one image's (here the engine throws) is retried a bounded number
/// of times, then its images are recorded as failures and the job still completes: no chunk is retried forever.
/// </summary>
[TestFixture]
public sealed class JobsFaultTests
{
    [Test]
    public async Task EngineFaultOnEveryTry_TaskRetriedBoundedTimes_ThenImagesFail_JobCompletes()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Jobs:MaxTaskAttempts"] = "3",
            ["Jobs:RetryDelaySeconds"] = "0.05",
            ["Jobs:ChunkSize"] = "2",
        });
        var calls = 0;
        factory.Classifier
            .Setup(c => c.AnalyzeAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<AnalysisOptions>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref calls);
                throw new InvalidOperationException("the GPU fell off the bus");
            });
        using var client = factory.CreateHttpClient();
        // Let the worker's start-up re-enqueue of unfinished jobs pass first, so each task is delivered once and the
        // count of engine calls is exact (a second delivery would be harmless, but would add its own bounded tries).
        await Task.Delay(1000);
        var image = TestImages.Solid(64, 48, SKColors.Gray);
        using var form = JobsHost.Form([("a.jpg", image), ("b.jpg", image), ("c.jpg", image)]);

        var id = (await JobsHost.SubmitAsync(client, form)).GetProperty("id").GetString()!;
        var job = await JobsHost.WaitAsync(client, id, timeoutSeconds: 60);

        Assert.Multiple(() =>
        {
            Assert.That(job.GetProperty("state").GetString(), Is.EqualTo("completed"), job.ToString());
            Assert.That(job.GetProperty("done").GetInt32(), Is.EqualTo(3));
            Assert.That(job.GetProperty("failed").GetInt32(), Is.EqualTo(3));
            // Two tasks (2 + 1 images), each tried 3 times, each try stopping at its first image.
            Assert.That(calls, Is.EqualTo(6));
        });
        var settled = Volatile.Read(ref calls);
        await Task.Delay(1000);
        Assert.That(Volatile.Read(ref calls), Is.EqualTo(settled), "nothing is retried after the job completed");
        var (status, body, _, _) = await JobsHost.ResultsAsync(client, id);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        using var json = JsonDocument.Parse(body);
        var errors = json.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("error").GetString()).ToList();
        Assert.That(errors, Has.All.Contains("after 3 attempts").And.All.Contains("GPU fell off the bus"));
    }
}
