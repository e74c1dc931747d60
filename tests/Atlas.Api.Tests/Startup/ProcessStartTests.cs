using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Startup;

/// <summary>
/// The built service started as its own process, as an operator starts it: where it listens, what it prints when it
/// cannot, and what its start writes to stderr.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProcessStartTests
{
    private static Dictionary<string, string?> Cpu(params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?> { ["ATLAS_EXECUTION_PROVIDER"] = "cpu" };
        foreach (var (key, value) in extra) environment[key] = value;
        return environment;
    }

    [Test]
    public async Task Start_AspNetCoreUrls_ListensThereAndLogsTheAddress()
    {
        var port = AtlasProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var service = AtlasProcess.Start(Cpu(("ASPNETCORE_URLS", url)));

        await service.WaitUntilServingAsync(new Uri(url));

        using var client = new HttpClient { BaseAddress = new Uri(url) };
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await WaitForAsync(() => service.Stdout.Contains("Atlas listening on", StringComparison.Ordinal));
        Assert.That(service.Stdout, Does.Contain($"Atlas listening on {url}"));
    }

    [Test]
    public async Task Start_Port_ListensOnThatPort()
    {
        var port = AtlasProcess.FreePort();
        await using var service = AtlasProcess.Start(Cpu(("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        await service.WaitUntilServingAsync(new Uri($"http://127.0.0.1:{port}"));
    }

    [Test]
    public async Task Start_PortNotANumber_ExitsWithOneLineNamingPort()
    {
        await using var service = AtlasProcess.Start(Cpu(("PORT", "eighty")));

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(StderrLines(service), Is.EqualTo(new[] { "Atlas failed to start: PORT is 'eighty', which is not a TCP port number (1-65535)." }));
    }

    [TestCase("MAX_UPLOAD_BYTES", "5MB", "MAX_UPLOAD_BYTES (Uploads:MaxFileBytes) is '5MB', which is not a whole number between 1 and 536870912.")]
    [TestCase("GEMINI_MAX_RETRIES", "11", "GEMINI_MAX_RETRIES (Gemini:MaxRetries) is '11', which is not a whole number between 1 and 10.")]
    [TestCase("FORCE_HTTPS", "sometimes", "FORCE_HTTPS (Security:ForceHttps) is 'sometimes', which is not a boolean (use true or false).")]
    [TestCase("JOBS_STORE", "mysql", "JOBS_STORE (Jobs:Store) is 'mysql'; expected one of: sqlite, postgres.")]
    [TestCase("ATLAS_EXECUTION_PROVIDER", "tpu", "ATLAS_EXECUTION_PROVIDER (Onnx:ExecutionProvider) is 'tpu'; expected one of: auto, cuda, cpu, gpu.")]
    [TestCase("GEMINI_BASE_URL", "ftp://example.org", "GEMINI_BASE_URL (Gemini:BaseUrl) is 'ftp://example.org', which is not an absolute http(s) URL.")]
    [TestCase("ALLOWED_ORIGINS", "ftp:/x", "ALLOWED_ORIGINS (Security:AllowedOrigins) contains 'ftp:/x', which is not an http(s) origin (scheme://host[:port], no path).")]
    public async Task Start_BadSetting_ExitsWithOneLineNamingTheVariable(string variable, string value, string message)
    {
        await using var service = AtlasProcess.Start(Cpu((variable, value)));

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(StderrLines(service), Is.EqualTo(new[] { $"Atlas failed to start: {message}" }), service.Stdout);
    }

    [Test]
    public async Task Start_BadSetting_InDevelopment_StillOneLineWithoutStackTrace()
    {
        // `dotnet run` starts in Development (launch profile): a mistyped setting is a user's mistake there too.
        await using var service = AtlasProcess.Start(Cpu(("MAX_UPLOAD_BYTES", "5MB"), ("ASPNETCORE_ENVIRONMENT", "Development")));

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(StderrLines(service), Is.EqualTo(new[] { "Atlas failed to start: MAX_UPLOAD_BYTES (Uploads:MaxFileBytes) is '5MB', which is not a whole number between 1 and 536870912." }), service.Stdout);
        Assert.That(service.Stdout + service.Stderr, Does.Not.Contain("   at ").And.Not.Contain("Unhandled exception"), "no stack trace");
    }

    [Test]
    public async Task Start_SeveralBadSettings_ExitsWithOneLineNamingEach()
    {
        await using var service = AtlasProcess.Start(Cpu(("RATE_LIMIT_REQUESTS", "many"), ("SPECIESNET_GEOFENCE", "maybe"), ("JOBS_CHUNK_SIZE", "0")));

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.EqualTo(1));
        var lines = StderrLines(service);
        Assert.That(lines, Has.Length.EqualTo(1), service.Stderr);
        Assert.That(lines[0], Does.Contain("RATE_LIMIT_REQUESTS").And.Contain("SPECIESNET_GEOFENCE").And.Contain("JOBS_CHUNK_SIZE"));
    }

    [Test]
    public async Task Start_BooleanSpelledYes_Starts()
    {
        var port = AtlasProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var service = AtlasProcess.Start(Cpu(("ASPNETCORE_URLS", url), ("ENABLE_API_DOCS", "yes"), ("ATLAS_EXECUTION_PROVIDER", "CPU")));

        await service.WaitUntilServingAsync(new Uri(url));

        using var client = new HttpClient { BaseAddress = new Uri(url) };
        using var response = await client.GetAsync(new Uri("/openapi.json", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase(null)]
    [TestCase("Development")]
    public async Task Start_AddressInUse_ExitsNonZeroWithOneClearLine(string? environment)
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var service = AtlasProcess.Start(Cpu(("ASPNETCORE_URLS", $"http://127.0.0.1:{port}"), ("ASPNETCORE_ENVIRONMENT", environment)));

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.Not.Zero);
        var lines = StderrLines(service);
        Assert.That(lines, Has.Length.EqualTo(1), service.Stderr);
        Assert.That(lines[0], Does.StartWith("Atlas failed to start:").And.Contain($"127.0.0.1:{port}").And.Contain("already in use").And.Contain("ASPNETCORE_URLS"));
        Assert.That(service.Stdout + service.Stderr, Does.Not.Contain("   at ").And.Not.Contain("Unhandled exception"), "no stack trace");
    }

    [Test]
    public async Task Start_AutoExecutionProvider_StderrHasNoOnnxRuntimeErrorLine()
    {
        // The default provider preference (auto): on a machine without CUDA, ORT must not be asked for CUDA blindly,
        // or it prints "[E:onnxruntime:...] ... libcublasLt.so.13 ..." to stderr in the middle of the JSON log.
        var port = AtlasProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var service = AtlasProcess.Start(new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = url, ["ATLAS_EXECUTION_PROVIDER"] = null });

        await service.WaitUntilServingAsync(new Uri(url));
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        string provider = "";
        for (var i = 0; i < 100; i++)
        {
            using var info = JsonDocument.Parse(await client.GetStringAsync(new Uri("/", UriKind.Relative)));
            var model = info.RootElement.GetProperty("model");
            provider = model.GetProperty("execution_provider").GetString()!;
            if (model.GetProperty("ready").GetBoolean()) break;
            await Task.Delay(100);
        }

        Assert.That(service.Stderr, Does.Not.Contain("[E:onnxruntime"));
        Assert.That(service.Stderr, Is.Empty, "a clean start writes nothing to stderr");
        if (provider == "CPUExecutionProvider")
        {
            Assert.That(service.Stdout, Does.Contain("falls back to the CPU execution provider").And.Contain("libcu"),
                "Atlas's own one Warning names what is missing");
            var warnings = service.Stdout.Split('\n').Count(line => line.Contains("falls back to the CPU execution provider", StringComparison.Ordinal));
            Assert.That(warnings, Is.EqualTo(1));
        }
    }

    private static string[] StderrLines(AtlasProcess service) =>
        service.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 50 && !condition(); i++) await Task.Delay(100);
    }
}
