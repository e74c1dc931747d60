using Atlas.Infrastructure.SpeciesNet;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Client.Tests.Infrastructure;

/// <summary>
/// The whole Atlas service, unmodified, on Kestrel at a free loopback port, with the REAL SpeciesNet engine on the
/// embedded demo bundle (CPU). Settings are configuration keys; rate limits are raised out of the way (all test
/// clients share 127.0.0.1) unless a test sets them, and Gemini has no key unless one is given.
/// </summary>
public sealed class AtlasServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private AtlasServer(IDictionary<string, string?>? settings)
    {
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Onnx:ExecutionProvider"] = "Cpu",
            ["Onnx:IntraOpThreads"] = "2",
            ["Security:RateLimitRequests"] = "100000",
            ["Security:GeminiRateLimitRequests"] = "100000",
            ["Security:EnableApiDocs"] = "true",
            ["Gemini:ApiKey"] = "",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
        UseKestrel(0);
    }

    /// <summary>The server's root on loopback, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Starts the server, waits for the engine to be warm, and returns it.</summary>
    public static async Task<AtlasServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var server = new AtlasServer(settings);
        server.StartServer();
        using (var probe = server.CreateClient()) server.BaseUrl = probe.BaseAddress!;
        await server.Services.GetRequiredService<SpeciesNetHost>().WhenWarm;
        return server;
    }

    /// <summary>A generated SDK client over a plain <see cref="HttpClient"/> (real sockets), optionally with an API key.</summary>
    public (AtlasClient Client, HttpClient Http) CreateAtlasClient(string? apiKey = null)
    {
        var http = new HttpClient();
        if (apiKey is not null) http.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        return (new AtlasClient(BaseUrl.ToString(), http), http);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSolutionRelativeContentRoot("src/Atlas.Api");
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }
}
