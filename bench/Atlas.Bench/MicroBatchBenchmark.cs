using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Atlas.Bench;

/// <summary>
/// Section 6: <c>POST /uploadfile/</c> end to end at concurrency 1, 8 and 32 with micro-batching on
/// (<c>INFERENCE_BATCH_WINDOW_MS=2</c>) and off (<c>0</c>), on the demo bundle and, when
/// bench/models/build_standins.py has built them, on the random-weight stand-ins (YOLOv5x6-shaped detector +
/// EfficientNetV2-M). Both runs let 32 inferences in at once (<c>MAX_CONCURRENT_INFERENCES=32</c>) so batching
/// can gather them; counts are bounded (the stand-in detector takes seconds per image on a small CPU).
/// Section 7: service memory: peak RSS under 16 concurrent ≈5 MB uploads, RSS after 100 and after 1,000 requests.
/// </summary>
internal static class MicroBatchBenchmark
{
    private const string Section = "6. HTTP /uploadfile/, micro-batching on vs off";
    private const string MemorySection = "7. Service memory";

    public static async Task RunAsync(byte[] jpeg, string apiDll, string logDir, string? standInDir, Report report, bool quick)
    {
        // ATLAS_BENCH_MICROBATCH_BUNDLES=standins skips the demo bundle's rounds (=demo skips the stand-ins').
        var bundles = Environment.GetEnvironmentVariable("ATLAS_BENCH_MICROBATCH_BUNDLES") ?? "demo,standins";
        if (bundles.Contains("demo", StringComparison.Ordinal))
        {
            await RunBundleAsync("demo bundle", null, jpeg, apiDll, logDir, report, [(1, quick ? 20 : 60), (8, quick ? 48 : 160), (32, quick ? 64 : 192)]).ConfigureAwait(false);
        }

        if (!bundles.Contains("standins", StringComparison.Ordinal)) return;
        if (standInDir is not null)
        {
            var bundle = Directory.CreateTempSubdirectory("atlas-bench-standins-");
            try
            {
                EngineBenchmarks.WriteStandInBundle(bundle.FullName, standInDir);
                // One round per concurrency: the stand-in detector is YOLOv5x6-sized (several seconds per image on 2 cores).
                // ATLAS_BENCH_STANDIN_PHASES="clients:requests,..." overrides the counts (default 1:2,8:8,32:32).
                var phases = (Environment.GetEnvironmentVariable("ATLAS_BENCH_STANDIN_PHASES") ?? "1:2,8:8,32:32")
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => p.Split(':'))
                    .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture)))
                    .ToArray();
                await RunBundleAsync("stand-ins (YOLOv5x6-shaped detector + EfficientNetV2-M)", bundle.FullName, jpeg, apiDll, logDir, report, phases).ConfigureAwait(false);
            }
            finally
            {
                bundle.Delete(recursive: true);
            }
        }
        else
        {
            report.Line("Section 6 on the stand-ins skipped: run bench/models/build_standins.py first (bench/run.sh does when python3-torch is installed).");
        }
    }

    private static async Task RunBundleAsync(string label, string? modelDir, byte[] jpeg, string apiDll, string logDir, Report report, (int Callers, int Requests)[] phases)
    {
        foreach (var window in new[] { 0, 2 })
        {
            var env = new Dictionary<string, string>
            {
                ["INFERENCE_BATCH_WINDOW_MS"] = window.ToString(CultureInfo.InvariantCulture),
                ["INFERENCE_MAX_BATCH_SIZE"] = "8",
                ["MAX_CONCURRENT_INFERENCES"] = "32",
                ["INFERENCE_QUEUE_LIMIT"] = "64",
                ["RATE_LIMIT_REQUESTS"] = "0",
                ["INFERENCE_TIMEOUT_SECONDS"] = "1800",
            };
            if (modelDir is not null) env["SPECIESNET_MODEL_DIR"] = modelDir;
            var log = Path.Combine(logDir, $"service-microbatch-{(modelDir is null ? "demo" : "standins")}-{window}ms.log");
            await using var host = ServiceProcess.Start(apiDll, log, appendLog: false, env);
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
            await host.WaitReadyAsync(client).ConfigureAwait(false);
            // JIT warm-up outside the measurement (bounded: a few requests on the stand-ins).
            await DriveAsync(client, host.Process, jpeg, "warm-up", "warm-up", modelDir is null ? 2 : 1, modelDir is null ? 100 : 1, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var mode = window == 0 ? "batching off" : $"batching on ({window} ms, max 8)";
            foreach (var (callers, requests) in phases)
            {
                var m = await DriveAsync(client, host.Process, jpeg, Section, $"{label}, {mode}, {callers} clients", callers, requests, TimeSpan.FromMinutes(modelDir is null ? 1 : 10)).ConfigureAwait(false);
                report.Add(m);
            }
        }
    }

    /// <summary>Peak RSS under 16 concurrent ≈5 MB uploads, and RSS after 100 vs after 1,000 requests (demo bundle).</summary>
    public static async Task RunMemoryAsync(byte[] jpeg, string apiDll, string logDir, Report report)
    {
        var big = SyntheticInputs.JpegUnder(5_000_000);
        var env = new Dictionary<string, string> { ["MAX_CONCURRENT_INFERENCES"] = "16", ["INFERENCE_QUEUE_LIMIT"] = "64", ["RATE_LIMIT_REQUESTS"] = "0" };
        await using (var host = ServiceProcess.Start(apiDll, Path.Combine(logDir, "service-memory-uploads.log"), appendLog: false, env))
        {
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            await host.WaitReadyAsync(client).ConfigureAwait(false);
            await DriveAsync(client, host.Process, big.Bytes, "warm-up", "warm-up", 1, 4, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var before = ProcessMemory.Read(host.Process.Id);
            var m = await DriveAsync(client, host.Process, big.Bytes, MemorySection,
                string.Create(CultureInfo.InvariantCulture, $"16 concurrent {big.Bytes.Length / 1e6:0.0} MB uploads ({big.Width}x{big.Height} JPEG), demo bundle"), 16, 48, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            var after = ProcessMemory.Read(host.Process.Id);
            report.Add(m with { Note = $"{m.Note}; RSS before {Report.Bytes(before.RssBytes)}, after {Report.Bytes(after.RssBytes)}, peak RSS (VmHWM) {Report.Bytes(after.PeakRssBytes)}" });
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"Peak RSS with 16 concurrent {big.Width}x{big.Height} uploads ({big.Bytes.Length / 1e6:0.0} MB each, {big.Width * big.Height * 4 / 1048576.0:0} MiB decoded RGBA each): {Report.Bytes(after.PeakRssBytes)} (idle after warm-up {Report.Bytes(before.RssBytes)})."));
        }

        await using (var host = ServiceProcess.Start(apiDll, Path.Combine(logDir, "service-memory-leak.log"), appendLog: false, env))
        {
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            await host.WaitReadyAsync(client).ConfigureAwait(false);
            var first = await DriveAsync(client, host.Process, jpeg, MemorySection, "requests 1-100 (4 clients, demo bundle)", 4, 100, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            var at100 = ProcessMemory.Read(host.Process.Id);
            var rest = await DriveAsync(client, host.Process, jpeg, MemorySection, "requests 101-1000 (4 clients, demo bundle)", 4, 900, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
            var at1000 = ProcessMemory.Read(host.Process.Id);
            report.Add(first with { Note = $"{first.Note}; RSS after {Report.Bytes(at100.RssBytes)}" });
            report.Add(rest with { Note = $"{rest.Note}; RSS after {Report.Bytes(at1000.RssBytes)}" });
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"Leak check: RSS {Report.Bytes(at100.RssBytes)} after 100 requests, {Report.Bytes(at1000.RssBytes)} after {100 + rest.Iterations} ({(at1000.RssBytes - at100.RssBytes) / 1048576.0:+0;-0} MiB)."));
        }
    }

    private static async Task<Measurement> DriveAsync(HttpClient client, Process service, byte[] jpeg, string section, string name, int callers, int requests, TimeSpan budget)
    {
        var samples = new ConcurrentQueue<double>();
        var failures = new ConcurrentDictionary<HttpStatusCode, int>();
        var started = 0;
        service.Refresh();
        var cpuBefore = service.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Interlocked.Increment(ref started) <= requests && wall.Elapsed < budget)
            {
                var t = Stopwatch.GetTimestamp();
                var status = await PostAsync(client, jpeg).ConfigureAwait(false);
                samples.Enqueue(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (status != HttpStatusCode.OK) failures.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        })).ConfigureAwait(false);
        var elapsed = wall.Elapsed;
        service.Refresh();
        var m = Harness.Summarise(section, name, callers, [.. samples], elapsed, service.TotalProcessorTime - cpuBefore, 0, 0, 0, 0, null);
        var sorted = samples.Order().ToArray();
        var errors = failures.IsEmpty ? "all 200" : string.Join(", ", failures.Select(f => $"{f.Value}x {(int)f.Key}"));
        return m with
        {
            Note = string.Create(CultureInfo.InvariantCulture,
                $"p50 {Harness.Percentile(sorted, 0.5):0} / p95 {Harness.Percentile(sorted, 0.95):0} / p99 {Harness.Percentile(sorted, 0.99):0} ms; {m.Throughput:0.00} req/s; {errors}; CPU column = service CPU per request"),
        };
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, byte[] jpeg)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(jpeg);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "bench.jpg");
        form.Add(new StringContent("KEN"), "country");
        using var response = await client.PostAsync(new Uri("uploadfile/", UriKind.Relative), form).ConfigureAwait(false);
        await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return response.StatusCode;
    }
}
