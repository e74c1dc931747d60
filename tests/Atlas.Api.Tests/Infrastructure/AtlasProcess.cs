using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>
/// The built service started as a separate process (<c>dotnet Atlas.Api.dll</c> from the test output folder), in the
/// Production environment, with only the environment variables a test gives (no launch profile, no test host):
/// what an operator starts. Stdout and stderr are captured.
/// </summary>
public sealed class AtlasProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private AtlasProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything written to stdout so far.</summary>
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the service; <paramref name="environment"/> values of null remove an inherited variable.</summary>
    public static AtlasProcess Start(IReadOnlyDictionary<string, string?> environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Atlas.Api.dll");
        Assert.That(File.Exists(dll), Is.True, $"the built service is missing: {dll}");
        var info = new ProcessStartInfo(DotnetHost(), [dll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Nothing from the test run's own environment decides where it listens or how it runs.
        foreach (var name in new[] { "ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "PORT", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "SPECIESNET_MODEL_DIR" })
        {
            info.Environment.Remove(name);
        }
        info.Environment["Onnx__IntraOpThreads"] = "1";
        // The jobs' SQLite store and staging go to a fresh temporary folder, never the build output or the repository.
        info.Environment["JOBS_DATA_DIR"] = Path.Combine(Path.GetTempPath(), "atlas-test-jobs-" + Guid.NewGuid().ToString("N"));
        foreach (var (key, value) in environment)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new AtlasProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (started._stdout) started._stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (started._stderr) started._stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Polls <paramref name="baseAddress"/>/livez until it answers 200; fails with the captured output if the process exits or time runs out.</summary>
    public async Task WaitUntilServingAsync(Uri baseAddress, TimeSpan? timeout = null)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) Assert.Fail($"the service exited with {_process.ExitCode}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            try
            {
                using var response = await client.GetAsync(new Uri("/livez", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        Assert.Fail($"the service did not answer on {baseAddress} in time.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    /// <summary>Waits for the process to exit by itself; kills it and fails past the timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the service did not exit within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
