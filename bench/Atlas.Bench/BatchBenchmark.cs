using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Atlas.Bench;

/// <summary>
/// Section 5: bounded memory of the streaming batch route. For each batch size a fresh Release service (demo bundle)
/// gets ONE <c>POST /v1/predictions</c> with that many copies of the image; its peak RSS (VmHWM) before and after the
/// request shows whether memory grows with the number of images (it must not: images are read one at a time).
/// </summary>
internal static class BatchBenchmark
{
    public static async Task RunAsync(byte[] jpeg, string apiDll, string logPath, Report report, int[] sizes)
    {
        foreach (var size in sizes)
        {
            await RunOneAsync(jpeg, apiDll, logPath, report, size).ConfigureAwait(false);
        }
    }

    private static async Task RunOneAsync(byte[] jpeg, string apiDll, string logPath, Report report, int images)
    {
        var environment = new Dictionary<string, string> { ["BATCH_MAX_IMAGES"] = "100000", ["BATCH_MAX_REQUEST_BYTES"] = "4000000000" };
        if (Environment.GetEnvironmentVariable("ATLAS_BENCH_BATCH_GC") is { Length: > 0 } gc)
        {
            environment["DOTNET_gcServer"] = gc.Equals("workstation", StringComparison.OrdinalIgnoreCase) ? "0" : "1";
        }
        await using var host = ServiceProcess.Start(apiDll, logPath, appendLog: true, environment);
        var service = host.Process;
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        await host.WaitReadyAsync(client).ConfigureAwait(false);
        // One small request first, so JIT and the first pooled buffers are in the "before" figure for every size.
        await PostAsync(client, jpeg, 1).ConfigureAwait(false);
        var before = ProcessMemory.Read(service.Id);
        var wall = Stopwatch.StartNew();
        var (status, entries, bytes) = await PostAsync(client, jpeg, images).ConfigureAwait(false);
        var elapsed = wall.Elapsed;
        var after = ProcessMemory.Read(service.Id);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"Batch of {images} images (GC {Environment.GetEnvironmentVariable("ATLAS_BENCH_BATCH_GC") ?? "server"}) ({bytes / 1048576.0:0} MiB body) in one /v1/predictions request: {(int)status}, {entries} entries, {elapsed.TotalSeconds:0.0} s ({images / elapsed.TotalSeconds:0.0} images/s); service peak RSS {ProcessMemory.Mib(before.PeakRssBytes)} before -> {ProcessMemory.Mib(after.PeakRssBytes)} after (+{ProcessMemory.Mib(after.PeakRssBytes - before.PeakRssBytes)})."));
    }

    private static async Task<(HttpStatusCode Status, int Entries, long Bytes)> PostAsync(HttpClient client, byte[] jpeg, int images)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("KEN"), "country");
        for (var i = 0; i < images; i++)
        {
            // Every part shares the one array: the client does not hold N copies either.
            var file = new ByteArrayContent(jpeg);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "files", string.Create(CultureInfo.InvariantCulture, $"IMG_{i:0000}.JPG"));
        }
        var length = form.Headers.ContentLength ?? -1;
        using var response = await client.PostAsync(new Uri("v1/predictions", UriKind.Relative), form).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var entries = 0;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var json = JsonDocument.Parse(body);
            entries = json.RootElement.GetProperty("predictions").GetArrayLength();
        }
        return (response.StatusCode, entries, length);
    }
}
