using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Batch;

namespace Atlas.Api.Tests.Jobs;

/// <summary>
/// What must survive: a service stopped in the middle of a job and a new one started on the same data folder finishes
/// it with every image exactly once; a job cancelled while queued stops; the API role runs no workers.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class JobsDurabilityTests
{
    [Test]
    public async Task RestartMidJob_NewHostOnSameDataDir_FinishesWithEveryImageExactlyOnce()
    {
        var dataDir = JobsHost.NewDataDir();
        var images = JobsHost.SharedImages();
        var season = Enumerable.Range(0, 4).SelectMany(round => images.Select(i => ($"r{round}/{i.Name}", i.Bytes))).ToList();
        string id;
        var (factory, client) = await JobsHost.StartAsync(dataDir, TimeSpan.FromMilliseconds(150), ("Jobs:ChunkSize", "2"), ("Jobs:WorkerConcurrency", "1"));
        try
        {
            using var form = JobsHost.Form(season);
            id = (await JobsHost.SubmitAsync(client, form)).GetProperty("id").GetString()!;
            var partial = await JobsHost.WaitAsync(client, id, j => j.GetProperty("done").GetInt32() >= 3);
            Assert.That(partial.GetProperty("state").GetString(), Is.EqualTo("running"));
        }
        finally
        {
            client.Dispose();
            await factory.DisposeAsync();
        }

        var (second, client2) = await JobsHost.StartAsync(dataDir, null);
        try
        {
            var resumed = await JobsHost.GetAsync(client2, id);
            Assert.That(resumed.GetProperty("done").GetInt32(), Is.LessThan(season.Count), "the first host was stopped before the end");
            var done = await JobsHost.WaitAsync(client2, id);
            Assert.That(done.GetProperty("state").GetString(), Is.EqualTo("completed"), done.ToString());
            Assert.That(done.GetProperty("done").GetInt32(), Is.EqualTo(season.Count));

            var (status, body, _, _) = await JobsHost.ResultsAsync(client2, id);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            using var json = JsonDocument.Parse(body);
            Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
            var files = json.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("filepath").GetString()).ToList();
            Assert.That(files, Is.EqualTo(season.Select(s => s.Item1)), "every image once, in input order");
        }
        finally
        {
            client2.Dispose();
            await second.DisposeAsync();
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // left to the OS
            }
        }
    }

    [Test]
    public async Task ApiRole_RunsNoWorkers_CancelStopsTheJob()
    {
        var dataDir = JobsHost.NewDataDir();
        var (factory, client) = await JobsHost.StartAsync(dataDir, null, ("Jobs:Role", "api"));
        try
        {
            using var form = JobsHost.Form(JobsHost.SharedImages().Take(3));
            var id = (await JobsHost.SubmitAsync(client, form)).GetProperty("id").GetString()!;
            await Task.Delay(500);
            var queued = await JobsHost.GetAsync(client, id);
            Assert.That((queued.GetProperty("state").GetString(), queued.GetProperty("done").GetInt32()), Is.EqualTo(("queued", 0)), "no worker in role api");
            Assert.That(queued.GetProperty("eta_seconds").ValueKind, Is.EqualTo(JsonValueKind.Null));

            using var cancel = await client.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
            var body = await cancel.Content.ReadAsStringAsync();
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            using (var json = JsonDocument.Parse(body)) Assert.That(json.RootElement.GetProperty("state").GetString(), Is.EqualTo("cancelled"));
            using var again = await client.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

            var (status, results, _, state) = await JobsHost.ResultsAsync(client, id);
            Assert.That((status, state), Is.EqualTo((HttpStatusCode.OK, "cancelled")));
            using var empty = JsonDocument.Parse(results);
            Assert.That(empty.RootElement.GetProperty("predictions").GetArrayLength(), Is.Zero);
        }
        finally
        {
            client.Dispose();
            await factory.DisposeAsync();
        }

        // A worker started later on the same store does not run the cancelled job.
        var (worker, workerClient) = await JobsHost.StartAsync(dataDir, null);
        try
        {
            using var list = await workerClient.GetAsync(new Uri("/v1/jobs", UriKind.Relative));
            using var json = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
            var job = json.RootElement.GetProperty("jobs")[0];
            await Task.Delay(500);
            var after = await JobsHost.GetAsync(workerClient, job.GetProperty("id").GetString()!);
            Assert.That((after.GetProperty("state").GetString(), after.GetProperty("done").GetInt32()), Is.EqualTo(("cancelled", 0)));
        }
        finally
        {
            workerClient.Dispose();
            await worker.DisposeAsync();
        }
    }
}
