using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Atlas.Api.Tests.Batch;
using Atlas.Api.Tests.Infrastructure;
using Npgsql;

namespace Atlas.Api.Tests.Jobs;

/// <summary>
/// <c>/v1/jobs</c> over real HTTP on the scale-out backends: the built service started three times as separate
/// processes (one in role <c>api</c>, two in role <c>worker</c>) against the real RabbitMQ broker and PostgreSQL store
/// that <c>tools/ci/start-job-backends.sh</c> starts (ATLAS_TEST_RABBITMQ, ATLAS_TEST_POSTGRES), with this fixture's
/// own schema and queue and one staging folder shared by all three. A season of the reference images plus a broken
/// file, repeated, is submitted; one worker is killed (SIGKILL, its whole process tree) in the middle of the job and
/// the job must still complete with every image exactly once, valid in all three formats. Also cancel and idempotent
/// resubmission through the API process, and a broker that cannot be reached (503 + Retry-After, nothing left behind).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ScaleOutJobsTests
{
    private const int Rounds = 18;
    private static readonly byte[] Broken = Encoding.UTF8.GetBytes("this is not a JPEG\n");

    private string _postgres = string.Empty;
    private Uri _rabbit = null!;
    private string _schema = string.Empty;
    private string _queue = string.Empty;
    private string _dataDir = string.Empty;
    private Uri _apiAddress = null!;
    private AtlasProcess _api = null!;
    private readonly List<AtlasProcess> _workers = [];
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _postgres = JobBackends.PostgresOrIgnore();
        _rabbit = JobBackends.RabbitMqOrIgnore();
        JobsHost.SharedImages(); // ignored, with a message, when ../shared is absent
        _schema = $"atlas_http_{Guid.NewGuid():N}";
        _queue = $"atlas-http-{Guid.NewGuid():N}";
        _dataDir = JobsHost.NewDataDir();
        Directory.CreateDirectory(_dataDir);

        _apiAddress = new Uri($"http://127.0.0.1:{AtlasProcess.FreePort()}");
        _api = AtlasProcess.Start(ServiceEnvironment("api", _apiAddress));
        await _api.WaitUntilServingAsync(_apiAddress, TimeSpan.FromSeconds(120));
        for (var i = 0; i < 2; i++) await StartWorkerAsync();
        _client = new HttpClient { BaseAddress = _apiAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        foreach (var worker in _workers) await worker.DisposeAsync();
        if (_api is not null) await _api.DisposeAsync();
        if (_schema.Length > 0)
        {
            await JobBackends.DropSchemasAsync(_postgres, _schema);
            await JobBackends.DeleteQueueAsync(_rabbit, _queue);
        }
        TryDelete(_dataDir);
    }

    private Dictionary<string, string?> ServiceEnvironment(string role, Uri address, Uri? broker = null, string? schema = null, string? dataDir = null) => new()
    {
        ["ATLAS_EXECUTION_PROVIDER"] = "cpu",
        ["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/'),
        ["JOBS_ROLE"] = role,
        ["JOBS_STORE"] = "postgres",
        ["JOBS_POSTGRES"] = _postgres,
        ["JOBS_POSTGRES_SCHEMA"] = schema ?? _schema,
        ["JOBS_BROKER"] = "rabbitmq",
        ["JOBS_RABBITMQ_URI"] = (broker ?? _rabbit).ToString(),
        ["JOBS_QUEUE"] = _queue,
        ["JOBS_DATA_DIR"] = dataDir ?? _dataDir,
        ["JOBS_CHUNK_SIZE"] = "4",
        ["JOBS_WORKER_CONCURRENCY"] = "2",
        ["Jobs__RetryDelaySeconds"] = "0.2",
    };

    private async Task<AtlasProcess> StartWorkerAsync()
    {
        var address = new Uri($"http://127.0.0.1:{AtlasProcess.FreePort()}");
        var worker = AtlasProcess.Start(ServiceEnvironment("worker", address));
        _workers.Add(worker);
        await worker.WaitUntilServingAsync(address, TimeSpan.FromSeconds(120));
        return worker;
    }

    /// <summary>Every reference image plus a broken file, <paramref name="rounds"/> times, each round in its own folder.</summary>
    private static List<(string Name, byte[] Bytes)> Season(int rounds)
    {
        var images = JobsHost.SharedImages();
        images.Insert(images.Count / 2, ("broken.jpg", Broken));
        return Enumerable.Range(0, rounds).SelectMany(r => images.Select(i => ($"r{r:D2}/{i.Name}", i.Bytes))).ToList();
    }

    [Test]
    [CancelAfter(400_000)]
    public async Task TwoWorkers_OneKilledMidJob_JobCompletes_EveryImageExactlyOnce_InEveryFormat()
    {
        var season = Season(Rounds);
        using var form = JobsHost.Form(season, ("country", "KEN"));
        var submitted = await JobsHost.SubmitAsync(_client, form);
        var id = submitted.GetProperty("id").GetString()!;
        Assert.That(submitted.GetProperty("total").GetInt32(), Is.EqualTo(season.Count));

        // Some but not all images done: kill one worker (SIGKILL, whole process tree) while it holds tasks.
        var partial = await JobsHost.WaitAsync(_client, id, j => j.GetProperty("done").GetInt32() >= 24, timeoutSeconds: 300);
        var victim = _workers[0];
        await victim.DisposeAsync();
        _workers.RemoveAt(0);
        var atKill = await JobsHost.GetAsync(_client, id);
        TestContext.Out.WriteLine($"worker killed at done={atKill.GetProperty("done").GetInt32()} of {season.Count}");
        Assert.That(partial.GetProperty("state").GetString(), Is.EqualTo("running"));
        Assert.That(atKill.GetProperty("done").GetInt32(), Is.LessThan(season.Count), "the worker was killed before the end of the job");

        var job = await JobsHost.WaitAsync(_client, id, timeoutSeconds: 300);
        Assert.Multiple(() =>
        {
            Assert.That(job.GetProperty("state").GetString(), Is.EqualTo("completed"), job.ToString());
            Assert.That(job.GetProperty("total").GetInt32(), Is.EqualTo(season.Count));
            Assert.That(job.GetProperty("done").GetInt32(), Is.EqualTo(season.Count));
            // The broken file of each round (and possibly the truncated reference image of each round).
            Assert.That(job.GetProperty("failed").GetInt32(), Is.InRange(Rounds, 2 * Rounds));
        });

        var (status, body, type, state) = await JobsHost.ResultsAsync(_client, id);
        Assert.That((status, type, state), Is.EqualTo((HttpStatusCode.OK, "application/json", "completed")), body);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body[..Math.Min(body.Length, 2000)]);
            var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
            // Exactly the input, once each, in input order: the count, unique indices and no lost or doubled row.
            Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(season.Select(s => s.Name)));
            var broken = entries.Where(e => e.GetProperty("filepath").GetString()!.EndsWith("/broken.jpg", StringComparison.Ordinal)).ToList();
            Assert.That(broken, Has.Count.EqualTo(Rounds));
            Assert.That(broken.Select(b => b.GetProperty("failures").EnumerateArray().Select(f => f.GetString()).ToArray()),
                Has.All.EqualTo(new[] { "CLASSIFIER", "DETECTOR" }));
            Assert.That(broken.Select(b => b.GetProperty("error").GetString()), Has.All.Contain("broken.jpg"));
        }

        (status, body, _, _) = await JobsHost.ResultsAsync(_client, id, "megadetector");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body[..Math.Min(body.Length, 2000)]);
            var files = json.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("file").GetString()).ToList();
            Assert.That(files, Has.Count.EqualTo(season.Count));
            Assert.That(files, Is.Unique);
        }

        (status, body, type, _) = await JobsHost.ResultsAsync(_client, id, "csv");
        Assert.That((status, type), Is.EqualTo((HttpStatusCode.OK, "text/csv")));
        var rows = FormatValidators.Csv(body);
        Assert.That(rows.Skip(1).Select(r => r[0]), Is.EqualTo(season.Select(s => s.Name)));

        // The surviving worker did the rest; a fresh one joins the same queue for the other tests.
        Assert.That(_workers.Single().HasExited, Is.False, _workers.Single().Stderr);
        await StartWorkerAsync();
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task Cancel_ThroughTheApi_WorkersStopTheJob()
    {
        var season = Season(Rounds);
        using var form = JobsHost.Form(season);
        var id = (await JobsHost.SubmitAsync(_client, form)).GetProperty("id").GetString()!;
        await JobsHost.WaitAsync(_client, id, j => j.GetProperty("done").GetInt32() >= 4, timeoutSeconds: 240);

        using var cancel = await _client.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
        var body = await cancel.Content.ReadAsStringAsync();
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using (var json = JsonDocument.Parse(body)) Assert.That(json.RootElement.GetProperty("state").GetString(), Is.EqualTo("cancelled"));
        using var again = await _client.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        var atCancel = (await JobsHost.GetAsync(_client, id)).GetProperty("done").GetInt32();
        await Task.Delay(3000);
        var later = await JobsHost.GetAsync(_client, id);
        Assert.That(later.GetProperty("state").GetString(), Is.EqualTo("cancelled"));
        Assert.That(later.GetProperty("done").GetInt32(), Is.EqualTo(atCancel), "nothing is recorded for a cancelled job");
        Assert.That(atCancel, Is.LessThan(season.Count));

        var (status, results, _, state) = await JobsHost.ResultsAsync(_client, id);
        Assert.That((status, state), Is.EqualTo((HttpStatusCode.OK, "cancelled")));
        using var kept = JsonDocument.Parse(results);
        Assert.That(FormatValidators.SpeciesNet(kept.RootElement), Is.Empty);
        Assert.That(kept.RootElement.GetProperty("predictions").GetArrayLength(), Is.EqualTo(atCancel), "the results so far are kept");

        // The workers drain the cancelled job's remaining tasks without work: a next job runs at once.
        using var next = JobsHost.Form(JobsHost.SharedImages().Take(2));
        var nextId = (await JobsHost.SubmitAsync(_client, next)).GetProperty("id").GetString()!;
        var done = await JobsHost.WaitAsync(_client, nextId, timeoutSeconds: 120);
        Assert.That((done.GetProperty("state").GetString(), done.GetProperty("done").GetInt32()), Is.EqualTo(("completed", 2)));
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task IdempotencyKey_ResubmissionThroughTheApi_AnswersTheSameJob_RunOnce()
    {
        var images = Season(1);
        var key = "season-" + Guid.NewGuid().ToString("N");
        using var first = JobsHost.Form(images);
        var job = await JobsHost.SubmitAsync(_client, first, key);
        var id = job.GetProperty("id").GetString()!;

        using var second = JobsHost.Form(images);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/jobs", UriKind.Relative)) { Content = second };
        request.Headers.Add("Idempotency-Key", key);
        using var replay = await _client.SendAsync(request);
        var replayBody = await replay.Content.ReadAsStringAsync();
        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), replayBody);
        Assert.That(replay.Headers.TryGetValues("Idempotent-Replayed", out var replayed) ? replayed.Single() : null, Is.EqualTo("true"));
        using (var json = JsonDocument.Parse(replayBody)) Assert.That(json.RootElement.GetProperty("id").GetString(), Is.EqualTo(id));

        using var third = JobsHost.Form(images);
        var other = await JobsHost.SubmitAsync(_client, third, key + "-other");
        Assert.That(other.GetProperty("id").GetString(), Is.Not.EqualTo(id));

        var done = await JobsHost.WaitAsync(_client, id, timeoutSeconds: 120);
        Assert.That((done.GetProperty("state").GetString(), done.GetProperty("done").GetInt32()), Is.EqualTo(("completed", images.Count)));
        var (_, body, _, _) = await JobsHost.ResultsAsync(_client, id);
        using var results = JsonDocument.Parse(body);
        Assert.That(results.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("filepath").GetString()),
            Is.EqualTo(images.Select(i => i.Name)), "the replay queued nothing more");
        Assert.That(Directory.GetDirectories(Path.Combine(_dataDir, "staging")).Select(Path.GetFileName), Does.Contain(id));
        await JobsHost.WaitAsync(_client, other.GetProperty("id").GetString()!, timeoutSeconds: 120);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task BrokerUnreachable_Submit503WithRetryAfter_NothingHalfDoneRemains()
    {
        // An API process whose broker URI names a closed loopback port (its own schema and data folder).
        var schema = $"atlas_http_down_{Guid.NewGuid():N}";
        var dataDir = JobsHost.NewDataDir();
        var address = new Uri($"http://127.0.0.1:{AtlasProcess.FreePort()}");
        var closed = new Uri($"amqp://guest:guest@127.0.0.1:{AtlasProcess.FreePort()}/");
        var api = AtlasProcess.Start(ServiceEnvironment("api", address, closed, schema, dataDir));
        try
        {
            await api.WaitUntilServingAsync(address, TimeSpan.FromSeconds(120));
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
            var key = "down-" + Guid.NewGuid().ToString("N");
            for (var attempt = 0; attempt < 2; attempt++)
            {
                using var form = JobsHost.Form(Season(1));
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/jobs", UriKind.Relative)) { Content = form };
                request.Headers.Add("Idempotency-Key", key);
                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
                Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero), "Retry-After");
                Assert.That(body, Does.Contain("RabbitMQ"));
            }

            // No job stayed behind (queued forever without tasks), and no staged images.
            using var list = await client.GetAsync(new Uri("/v1/jobs", UriKind.Relative));
            using var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
            Assert.That(listed.RootElement.GetProperty("jobs").GetArrayLength(), Is.Zero, listed.RootElement.ToString());
            var staging = Path.Combine(dataDir, "staging");
            Assert.That(Directory.Exists(staging) ? Directory.GetFileSystemEntries(staging) : [], Is.Empty, "staged images deleted");
            await using var connection = new NpgsqlConnection(_postgres);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand($"SELECT (SELECT count(*) FROM {schema}.jobs) + (SELECT count(*) FROM {schema}.job_images)", connection);
            Assert.That(Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture), Is.Zero, "no rows left in the store");
            Assert.That(api.Stdout + api.Stderr, Does.Contain("could not be queued"));
        }
        finally
        {
            await api.DisposeAsync();
            await JobBackends.DropSchemasAsync(_postgres, schema);
            TryDelete(dataDir);
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (dir.Length > 0 && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // left to the OS
        }
    }
}
