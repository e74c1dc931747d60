using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Atlas.Api.Tests.Reliability;
using Atlas.TestSupport;
using SkiaSharp;

// Usage: atlas-soak --url http://127.0.0.1:PORT/ --pid PID [--seconds 600] [--concurrency 16] [--sample 10] [--out FILE]
// Mixed traffic: ~70% valid uploads (camera-trap-sized JPEGs, PNG, WebP), ~25% hostile-corpus cases (each checked
// against its expected status), ~5% GET /healthz. Samples the server's RSS, open fds and threads from /proc.
var opts = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a[2..], p => p.i + 1 < args.Length ? args[p.i + 1] : "");
var baseUri = new Uri(opts["url"]);
var pid = int.Parse(opts["pid"], CultureInfo.InvariantCulture);
var seconds = double.Parse(opts.GetValueOrDefault("seconds", "600"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(opts.GetValueOrDefault("concurrency", "16"), CultureInfo.InvariantCulture);
var sampleEvery = double.Parse(opts.GetValueOrDefault("sample", "10"), CultureInfo.InvariantCulture);
var outPath = opts.GetValueOrDefault("out", "soak-result.md");

var hostile = HostileCorpus.All().Where(c => !c.Name.StartsWith("slow", StringComparison.Ordinal)).ToArray();
byte[][] valid = [TestImages.Jpeg(1280, 960), TestImages.Jpeg(2048, 1536), TestImages.Picture(SKEncodedImageFormat.Png, 1024, 768), TestImages.Picture(SKEncodedImageFormat.Webp, 1280, 960)];
string[] validTypes = ["image/jpeg", "image/jpeg", "image/png", "image/webp"];
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(120) };

var statuses = new ConcurrentDictionary<string, int>();
var latencies = new ConcurrentBag<double>();
var mismatches = new ConcurrentBag<string>();
var serverErrors = new ConcurrentBag<string>();
var samples = new List<(double T, long RssKb, int Fds, int Threads, double ManagedMiB)>();
var total = 0;
var clock = Stopwatch.StartNew();
var deadline = TimeSpan.FromSeconds(seconds);

(long, int, int) Probe()
{
    long rss = 0;
    var threads = 0;
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
    }
    return (rss, Directory.GetFiles($"/proc/{pid}/fd").Length, threads);
}

// The managed heap as the service itself reports it (prometheus-net's dotnet_total_memory_bytes), to split RSS into
// GC heap and native memory (ONNX Runtime's arenas, Skia).
double ManagedMiB()
{
    try
    {
        using var probe = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(5) };
        var text = probe.GetStringAsync("/metrics").GetAwaiter().GetResult();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) / 1048576.0;
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException)
    {
        return double.NaN;
    }
}

void Sample()
{
    var (rss, fds, threads) = Probe();
    var managed = ManagedMiB();
    lock (samples) samples.Add((clock.Elapsed.TotalSeconds, rss, fds, threads, managed));
    Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:F0}s  requests {Volatile.Read(ref total),7:N0}  RSS {rss / 1024.0,7:F0} MiB  managed {managed,6:F0} MiB  fds {fds,4}  threads {threads,3}");
}

Sample();
using var sampler = new Timer(_ => Sample(), null, TimeSpan.FromSeconds(sampleEvery), TimeSpan.FromSeconds(sampleEvery));
var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
{
    var random = new Random(1000 + w);
    while (clock.Elapsed < deadline)
    {
        var roll = random.Next(100);
        var started = Stopwatch.GetTimestamp();
        string label;
        try
        {
            if (roll < 70)
            {
                var i = random.Next(valid.Length);
                using var content = new ByteArrayContent(HostileCorpus.Form([HostileCorpus.File(valid[i], validTypes[i])]));
                content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={HostileCorpus.Boundary}");
                using var response = await http.PostAsync("/uploadfile/", content);
                await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                label = $"{status} valid";
                if (status >= 500 && status != 503) serverErrors.Add($"valid upload: {status}");
            }
            else if (roll < 95)
            {
                var c = hostile[random.Next(hostile.Length)];
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var answer = await c.Send(baseUri, cts.Token);
                var status = answer.Status ?? 0;
                label = $"{(answer.Status?.ToString(CultureInfo.InvariantCulture) ?? "none")} hostile";
                // Under load an accepted image may be refused with 503 (backpressure); anything else must match.
                if (status != c.ExpectedStatus && !(status == 503 && c.ExpectedStatus == 200)) mismatches.Add($"{c.Name}: expected {c.ExpectedStatus}, got {status}");
                if (status >= 500 && status != 503) serverErrors.Add($"{c.Name}: {status}");
            }
            else
            {
                using var response = await http.GetAsync("/healthz");
                label = $"{(int)response.StatusCode} healthz";
                if ((int)response.StatusCode >= 500) serverErrors.Add($"healthz: {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            label = "error " + ex.GetType().Name;
            serverErrors.Add($"transport: {ex.Message}");
        }
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        statuses.AddOrUpdate(label, 1, (_, n) => n + 1);
        Interlocked.Increment(ref total);
    }
})).ToArray();
await Task.WhenAll(workers);
sampler.Change(Timeout.Infinite, Timeout.Infinite);
Sample();

var sorted = latencies.OrderBy(x => x).ToArray();
double P(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
var mid = samples[samples.Count / 2];
var lines = new List<string>
{
    $"- duration {clock.Elapsed.TotalSeconds:F0} s, concurrency {concurrency}, {total:N0} requests ({total / clock.Elapsed.TotalSeconds:F1}/s)",
    $"- status mix: " + string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value:N0}")),
    $"- latency p50 {P(0.5):F0} ms, p99 {P(0.99):F0} ms, max {sorted.LastOrDefault():F0} ms",
    $"- RSS start {samples[0].RssKb / 1024.0:F0} MiB, middle ({mid.T:F0} s) {mid.RssKb / 1024.0:F0} MiB, end {samples[^1].RssKb / 1024.0:F0} MiB, peak {samples.Max(s => s.RssKb) / 1024.0:F0} MiB",
    $"- open fds start/middle/end {samples[0].Fds}/{mid.Fds}/{samples[^1].Fds}; threads {samples[0].Threads}/{mid.Threads}/{samples[^1].Threads}",
    $"- 5xx other than 503, or transport errors: {serverErrors.Count}" + (serverErrors.IsEmpty ? "" : " (" + string.Join("; ", serverErrors.Distinct().Take(5)) + ")"),
    $"- hostile cases answered other than expected: {mismatches.Count}" + (mismatches.IsEmpty ? "" : " (" + string.Join("; ", mismatches.Distinct().Take(5)) + ")"),
    $"- managed heap (dotnet_total_memory_bytes) start/middle/end {samples[0].ManagedMiB:F0}/{mid.ManagedMiB:F0}/{samples[^1].ManagedMiB:F0} MiB",
    "- RSS / managed samples (s: MiB/MiB): " + string.Join(", ", samples.Select(s => $"{s.T:F0}: {s.RssKb / 1024}/{s.ManagedMiB:F0}")),
};
foreach (var line in lines) Console.WriteLine(line);
File.WriteAllLines(outPath, lines);
return serverErrors.IsEmpty ? 0 : 1;
