using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
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
        apiDll = Path.GetFullPath(apiDll);
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var start = new ProcessStartInfo("dotnet", [apiDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("SPECIESNET_MODEL_DIR");
        start.Environment["ATLAS_EXECUTION_PROVIDER"] = Environment.GetEnvironmentVariable("ATLAS_EXECUTION_PROVIDER") ?? "cpu";
        start.Environment["BATCH_MAX_IMAGES"] = "100000";

        using var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        using var service = Process.Start(start) ?? throw new InvalidOperationException("could not start the service");
        service.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        service.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(30) };
            await WaitReadyAsync(client, service).ConfigureAwait(false);
            // One small request first, so JIT and the first pooled buffers are in the "before" figure for every size.
            await PostAsync(client, jpeg, 1).ConfigureAwait(false);
            var before = ProcessMemory.Read(service.Id);
            var wall = Stopwatch.StartNew();
            var (status, entries, bytes) = await PostAsync(client, jpeg, images).ConfigureAwait(false);
            var elapsed = wall.Elapsed;
            var after = ProcessMemory.Read(service.Id);
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"Batch of {images} images ({bytes / 1048576.0:0} MiB body) in one /v1/predictions request: {(int)status}, {entries} entries, {elapsed.TotalSeconds:0.0} s ({images / elapsed.TotalSeconds:0.0} images/s); service peak RSS {ProcessMemory.Mib(before.PeakRssBytes)} before -> {ProcessMemory.Mib(after.PeakRssBytes)} after (+{ProcessMemory.Mib(after.PeakRssBytes - before.PeakRssBytes)})."));
        }
        finally
        {
            if (!service.HasExited)
            {
                service.Kill(entireProcessTree: true);
                await service.WaitForExitAsync().ConfigureAwait(false);
            }
        }
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

    private static async Task WaitReadyAsync(HttpClient client, Process service)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (service.HasExited) throw new InvalidOperationException($"the service exited with code {service.ExitCode} before it was ready (see the service log)");
            try
            {
                using var response = await client.GetAsync(new Uri("healthz", UriKind.Relative)).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250).ConfigureAwait(false);
        }

        throw new TimeoutException("the service was not ready (GET /healthz 200) within 90 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
