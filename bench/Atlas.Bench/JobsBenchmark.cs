using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;

namespace Atlas.Bench;

/// <summary>
/// Section 6: <c>/v1/jobs</c>. One job of N copies of the image (multipart, every part sharing one array) on fresh
/// Release processes, timed from the first byte of the submission to <c>state: completed</c>, on the embedded default
/// (one process, SQLite, in-process queue) and on the real backends (RabbitMQ + PostgreSQL from ATLAS_TEST_RABBITMQ /
/// ATLAS_TEST_POSTGRES, as <c>tools/ci/start-job-backends.sh</c> prints them) with one API process in role
/// <c>api</c> and 1 or 2 processes in role <c>worker</c>. The same N images through one synchronous
/// <c>POST /v1/predictions</c> give the baseline, so the queue's overhead per image is the difference. The API
/// process's peak RSS (VmHWM) after a job of the small and the large size shows whether it grows with the job.
/// </summary>
internal static class JobsBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task RunAsync(byte[] jpeg, string apiDll, string logPath, Report report, int small, int large)
    {
        var rabbit = Environment.GetEnvironmentVariable("ATLAS_TEST_RABBITMQ");
        var postgres = Environment.GetEnvironmentVariable("ATLAS_TEST_POSTGRES");
        var scaleOut = !string.IsNullOrEmpty(rabbit) && !string.IsNullOrEmpty(postgres);
        if (!scaleOut)
        {
            report.Line("Jobs on RabbitMQ + PostgreSQL skipped: ATLAS_TEST_RABBITMQ / ATLAS_TEST_POSTGRES are not set (export the lines tools/ci/start-job-backends.sh prints).");
        }

        // ATLAS_BENCH_JOB_RUNS=sync,embedded,scale1,scale2 (default: all) runs a subset; without "sync" the baseline of
        // ATLAS_BENCH_JOB_SYNC_SECONDS (seconds for the large size through /v1/predictions, from an earlier run) is used.
        var runs = (Environment.GetEnvironmentVariable("ATLAS_BENCH_JOB_RUNS") is { Length: > 0 } list ? list : "sync,embedded,scale1,scale2")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var sync = runs.Contains("sync")
            ? await SyncAsync(jpeg, apiDll, logPath, large).ConfigureAwait(false)
            : TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("ATLAS_BENCH_JOB_SYNC_SECONDS") ?? "0", Inv));
        report.Line(string.Create(Inv, $"Synchronous baseline: {large} images in one POST /v1/predictions: {sync.TotalSeconds:0.0} s, {large / sync.TotalSeconds:0.0} images/s, {sync.TotalMilliseconds / large:0.0} ms/image{(runs.Contains("sync") ? "" : " (from ATLAS_BENCH_JOB_SYNC_SECONDS)")}."));

        var rows = new List<string>
        {
            "| backends | workers | images | submit (202) s | total s | images/s | ms/image | queue overhead ms/image vs sync | API peak RSS before -> after job |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        };
        var configs = new List<(string Name, int Workers)>();
        if (runs.Contains("embedded")) configs.Add(("embedded (SQLite, in-process)", 0));
        if (scaleOut && runs.Contains("scale1")) configs.Add(("RabbitMQ + PostgreSQL", 1));
        if (scaleOut && runs.Contains("scale2")) configs.Add(("RabbitMQ + PostgreSQL", 2));
        foreach (var (name, workers) in configs)
        {
            foreach (var images in new[] { small, large })
            {
                var run = await JobAsync(jpeg, apiDll, logPath, images, workers, rabbit, postgres).ConfigureAwait(false);
                var perImage = run.Total.TotalMilliseconds / images;
                var overhead = images == large ? (perImage - (sync.TotalMilliseconds / large)).ToString("0.0", Inv) : "—";
                rows.Add(string.Create(Inv,
                    $"| {name} | {(workers == 0 ? "in API process" : workers.ToString(Inv))} | {images} | {run.Submit.TotalSeconds:0.0} | {run.Total.TotalSeconds:0.0} | {images / run.Total.TotalSeconds:0.0} | {perImage:0.0} | {overhead} | {ProcessMemory.Mib(run.Before.PeakRssBytes)} -> {ProcessMemory.Mib(run.After.PeakRssBytes)} |"));
                Console.WriteLine("  " + rows[^1]);
                if (run.State != "completed" || run.Done != images)
                {
                    report.Line($"Job of {images} images ({name}, {workers} workers) ended {run.State} with {run.Done} done.");
                }
            }
        }
        report.Line(string.Create(Inv, $"Sync route for comparison: {large} images, {sync.TotalSeconds:0.0} s = {large / sync.TotalSeconds:0.0} images/s, {sync.TotalMilliseconds / large:0.0} ms/image (one process, role all)."));
        foreach (var row in rows) report.Line(row);
    }

    private static Dictionary<string, string> Common(string dataDir) => new()
    {
        ["JOBS_DATA_DIR"] = dataDir,
        ["BATCH_MAX_IMAGES"] = "100000",
        ["BATCH_MAX_REQUEST_BYTES"] = "4000000000",
    };

    private static async Task<TimeSpan> SyncAsync(byte[] jpeg, string apiDll, string logPath, int images)
    {
        var dataDir = NewDataDir();
        try
        {
            await using var host = ServiceProcess.Start(apiDll, logPath, appendLog: true, Common(dataDir));
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
            await host.WaitReadyAsync(client).ConfigureAwait(false);
            await PostAsync(client, "v1/predictions", jpeg, 4).ConfigureAwait(false); // warm-up (JIT, pools)
            var wall = Stopwatch.StartNew();
            var (status, body) = await PostAsync(client, "v1/predictions", jpeg, images).ConfigureAwait(false);
            if (status != HttpStatusCode.OK) throw new InvalidOperationException($"/v1/predictions answered {(int)status}: {body}");
            return wall.Elapsed;
        }
        finally
        {
            Delete(dataDir);
        }
    }

    private sealed record JobRun(TimeSpan Submit, TimeSpan Total, ProcessMemory Before, ProcessMemory After, string State, int Done);

    private static async Task<JobRun> JobAsync(byte[] jpeg, string apiDll, string logPath, int images, int workers, string? rabbit, string? postgres)
    {
        var dataDir = NewDataDir();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var environment = Common(dataDir);
        if (workers > 0)
        {
            environment["JOBS_BROKER"] = "rabbitmq";
            environment["JOBS_RABBITMQ_URI"] = rabbit!;
            environment["JOBS_QUEUE"] = "atlas-bench-" + suffix;
            environment["JOBS_STORE"] = "postgres";
            environment["JOBS_POSTGRES"] = postgres!;
            environment["JOBS_POSTGRES_SCHEMA"] = "atlas_bench_" + suffix;
        }
        var started = new List<ServiceProcess>();
        try
        {
            var api = ServiceProcess.Start(apiDll, logPath, appendLog: true, new Dictionary<string, string>(environment) { ["JOBS_ROLE"] = workers > 0 ? "api" : "all" });
            started.Add(api);
            for (var i = 0; i < workers; i++)
            {
                started.Add(ServiceProcess.Start(apiDll, logPath, appendLog: true, new Dictionary<string, string>(environment) { ["JOBS_ROLE"] = "worker" }));
            }
            using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
            foreach (var process in started)
            {
                using var probe = new HttpClient { BaseAddress = process.BaseAddress };
                await process.WaitReadyAsync(probe).ConfigureAwait(false);
            }
            // A small job first, so JIT, pools, the store's schema and the queue are in the "before" figure.
            await WaitAsync(client, await SubmitAsync(client, jpeg, 4).ConfigureAwait(false)).ConfigureAwait(false);
            var before = ProcessMemory.Read(api.Process.Id);
            var wall = Stopwatch.StartNew();
            var id = await SubmitAsync(client, jpeg, images).ConfigureAwait(false);
            var submit = wall.Elapsed;
            var (state, done) = await WaitAsync(client, id).ConfigureAwait(false);
            var total = wall.Elapsed;
            var after = ProcessMemory.Read(api.Process.Id);
            return new JobRun(submit, total, before, after, state, done);
        }
        finally
        {
            foreach (var process in started) await process.DisposeAsync().ConfigureAwait(false);
            Delete(dataDir);
            if (workers > 0)
            {
                try
                {
                    await DropAsync(rabbit!, environment["JOBS_QUEUE"], postgres!, environment["JOBS_POSTGRES_SCHEMA"]).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
                {
                    Console.WriteLine($"  (the run's queue and schema could not be dropped: {ex.Message})");
                }
            }
        }
    }

    private static async Task<string> SubmitAsync(HttpClient client, byte[] jpeg, int images)
    {
        var (status, body) = await PostAsync(client, "v1/jobs", jpeg, images).ConfigureAwait(false);
        if (status != HttpStatusCode.Accepted) throw new InvalidOperationException($"/v1/jobs answered {(int)status}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<(string State, int Done)> WaitAsync(HttpClient client, string id)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(30))
        {
            using var response = await client.GetAsync(new Uri($"v1/jobs/{id}", UriKind.Relative)).ConfigureAwait(false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
            var state = json.RootElement.GetProperty("state").GetString()!;
            if (state is not ("queued" or "running")) return (state, json.RootElement.GetProperty("done").GetInt32());
            await Task.Delay(200).ConfigureAwait(false);
        }
        throw new TimeoutException($"job {id} did not finish within 30 minutes");
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, string route, byte[] jpeg, int images)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("KEN"), "country");
        for (var i = 0; i < images; i++)
        {
            // Every part shares the one array: the client does not hold N copies.
            var file = new ByteArrayContent(jpeg);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "files", string.Create(Inv, $"IMG_{i:00000}.JPG"));
        }
        using var response = await client.PostAsync(new Uri(route, UriKind.Relative), form).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return (response.StatusCode, route == "v1/jobs" ? body : body[..Math.Min(body.Length, 500)]);
    }

    /// <summary>Removes the run's queue and schema from the throwaway servers.</summary>
    private static async Task DropAsync(string rabbit, string queue, string postgres, string schema)
    {
        await using (var connection = new NpgsqlConnection(postgres))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        var factory = new ConnectionFactory { Uri = new Uri(rabbit) };
        await using var amqp = await factory.CreateConnectionAsync().ConfigureAwait(false);
        await using var channel = await amqp.CreateChannelAsync().ConfigureAwait(false);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false).ConfigureAwait(false);
    }

    private static string NewDataDir() => Path.Combine(Path.GetTempPath(), "atlas-bench-jobs-" + Guid.NewGuid().ToString("N"));

    private static void Delete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // left to the OS
        }
    }
}
