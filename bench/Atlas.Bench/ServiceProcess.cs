using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Atlas.Bench;

/// <summary>
/// The Release build of Atlas.Api started as its own process on a free 127.0.0.1 port with the demo bundle, its
/// output copied to a log file; disposing it kills the process tree. Shared by the HTTP and batch sections.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, Uri baseAddress, string provider, StreamWriter log)
    {
        Process = process;
        BaseAddress = baseAddress;
        Provider = provider;
        _log = log;
    }

    public Process Process { get; }

    public Uri BaseAddress { get; }

    /// <summary>The ATLAS_EXECUTION_PROVIDER the service was started with.</summary>
    public string Provider { get; }

    public static ServiceProcess Start(string apiDll, string logPath, bool appendLog, IReadOnlyDictionary<string, string>? environment = null)
    {
        apiDll = Path.GetFullPath(apiDll);
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}/");
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
        var provider = Environment.GetEnvironmentVariable("ATLAS_EXECUTION_PROVIDER") ?? "cpu";
        start.Environment["ATLAS_EXECUTION_PROVIDER"] = provider;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, appendLog) { AutoFlush = true };
        var service = Process.Start(start) ?? throw new InvalidOperationException("could not start the service");
        service.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        service.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        return new ServiceProcess(service, baseAddress, provider, log);
    }

    /// <summary>Waits (at most 90 s) until <c>GET /healthz</c> answers 200; fails at once when the process exits.</summary>
    public async Task WaitReadyAsync(HttpClient client)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (Process.HasExited) throw new InvalidOperationException($"the service exited with code {Process.ExitCode} before it was ready (see the service log)");
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

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync().ConfigureAwait(false);
        }

        Process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
