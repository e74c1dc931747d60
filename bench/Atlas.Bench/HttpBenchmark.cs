using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Atlas.Bench;

/// <summary>
/// Section 4: starts the Release build of Atlas.Api on 127.0.0.1 with the demo bundle and drives
/// <c>POST /uploadfile/</c> with a bounded number of requests (and a time cap) from an in-process HttpClient.
/// </summary>
internal static class HttpBenchmark
{
    private const string Section = "4. HTTP /uploadfile/";

    /// <summary>Requests between the cold and the warm phases: tiered JIT (with dynamic PGO) keeps the tiering thread busy for the first couple of hundred.</summary>
    private const int WarmupRequests = 300;

    public static async Task<List<Measurement>> RunAsync(byte[] jpeg, string apiDll, string logPath, Report report)
    {
        var results = new List<Measurement>();
        await using var host = ServiceProcess.Start(apiDll, logPath, appendLog: false);
        var service = host.Process;
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var startup = Stopwatch.StartNew();
        await host.WaitReadyAsync(client).ConfigureAwait(false);
        var idle = ProcessMemory.Read(service.Id);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"Service (Release, demo bundle, {host.Provider}) ready in {startup.Elapsed.TotalSeconds:0.0} s; idle after warm-up: {idle}."));

        // Cold: the first requests after start-up, while the JIT's tiered compilation is still busy.
        results.Add(await PhaseAsync(client, service, jpeg, "1 client, cold (first requests after start)", 1, 30, warmup: 0).ConfigureAwait(false));
        var warm = Stopwatch.StartNew();
        var warmCpu = ThreadCpu.ReadMilliseconds(service.Id);
        var warmup = await DriveAsync(client, service, jpeg, "warm-up", 2, WarmupRequests, TimeSpan.FromSeconds(60), 0).ConfigureAwait(false);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"HTTP warm-up: {warmup.Iterations} more requests (2 clients, at most {WarmupRequests} or 60 s) in {warm.Elapsed.TotalSeconds:0} s; service CPU ms per request by thread: {ThreadCpu.PerCall(warmCpu, ThreadCpu.ReadMilliseconds(service.Id), warmup.Iterations)}."));
        results.Add(await PhaseAsync(client, service, jpeg, "1 client, warm", 1, 40, warmup: 0).ConfigureAwait(false));
        results.Add(await PhaseAsync(client, service, jpeg, "4 concurrent clients, warm", 4, 80, warmup: 0).ConfigureAwait(false));

        return results;
    }

    private static async Task<Measurement> PhaseAsync(HttpClient client, Process service, byte[] jpeg, string name, int callers, int requests, int warmup)
    {
        var threadsBefore = ThreadCpu.ReadMilliseconds(service.Id);
        var m = await DriveAsync(client, service, jpeg, name, callers, requests, TimeSpan.FromSeconds(25), warmup).ConfigureAwait(false);
        var threads = ThreadCpu.PerCall(threadsBefore, ThreadCpu.ReadMilliseconds(service.Id), m.Iterations);
        return m with { Note = $"{m.Note}; service CPU ms/request by thread: {threads}; service {ProcessMemory.Read(service.Id)} after" };
    }

    private static async Task<Measurement> DriveAsync(HttpClient client, Process service, byte[] jpeg, string name, int callers, int requests, TimeSpan budget, int warmup)
    {
        for (var i = 0; i < warmup; i++) await PostAsync(client, jpeg).ConfigureAwait(false);

        var samples = new ConcurrentQueue<double>();
        var failures = new ConcurrentDictionary<HttpStatusCode, int>();
        var started = 0;
        service.Refresh();
        var cpuBefore = service.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Interlocked.Increment(ref started) <= requests && (samples.Count < 3 * callers || wall.Elapsed < budget))
            {
                var t = Stopwatch.GetTimestamp();
                var status = await PostAsync(client, jpeg).ConfigureAwait(false);
                samples.Enqueue(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (status != HttpStatusCode.OK) failures.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        })).ConfigureAwait(false);
        var elapsed = wall.Elapsed;
        service.Refresh();
        var serviceCpu = service.TotalProcessorTime - cpuBefore;
        var m = Harness.Summarise(Section, name, callers, [.. samples], elapsed, serviceCpu, 0, 0, 0, 0, null);
        var errors = failures.IsEmpty ? "all 200" : string.Join(", ", failures.Select(f => $"{f.Value}x {(int)f.Key}"));
        return m with { Note = string.Create(CultureInfo.InvariantCulture, $"p95 {Harness.Percentile([.. samples.Order()], 0.95):0} ms; {errors}; CPU column = the service's whole CPU per request") };
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, byte[] jpeg)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(jpeg);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "african_elephants.jpg");
        form.Add(new StringContent("KEN"), "country");
        using var response = await client.PostAsync(new Uri("uploadfile/", UriKind.Relative), form).ConfigureAwait(false);
        await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return response.StatusCode;
    }
}
