using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>
/// Hosts the real Atlas pipeline on Kestrel over loopback (real HTTP, real multipart parsing and body limits).
/// <see cref="Classifier"/> replaces the SpeciesNet engine when a test wants to control its answer; settings are
/// passed as configuration keys. Every test client shares the loopback IP, so the per-client rate limits are
/// raised out of the way unless a test sets them; the constructor's services callback lets a test add services
/// (a log sink, a test-only controller).
/// </summary>
public sealed class AtlasApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _mockClassifier;
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly string? _ownedDataDir;

    /// <param name="settings">Configuration keys, e.g. <c>SpeciesNet:ModelDir</c>.</param>
    /// <param name="mockClassifier">Replace the SpeciesNet engine with <see cref="Classifier"/>; false runs the real engine.</param>
    /// <param name="configureServices">Extra test service registrations, applied last.</param>
    public AtlasApiFactory(IDictionary<string, string?>? settings = null, bool mockClassifier = true, Action<IServiceCollection>? configureServices = null)
    {
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>(), StringComparer.OrdinalIgnoreCase);
        _settings.TryAdd("Security:RateLimitRequests", "100000");
        _settings.TryAdd("Security:GeminiRateLimitRequests", "100000");
        // Jobs keep their SQLite store and staged uploads in a temporary folder of this host, never in the repository.
        if (!_settings.ContainsKey("Jobs:DataDir"))
        {
            _ownedDataDir = Path.Combine(Path.GetTempPath(), "atlas-test-jobs-" + Guid.NewGuid().ToString("N"));
            _settings["Jobs:DataDir"] = _ownedDataDir;
        }
        _mockClassifier = mockClassifier;
        _configureServices = configureServices;
        UseKestrel(0);
    }

    /// <summary>The stand-in engine (only used when the factory was created with mockClassifier = true).</summary>
    public Mock<ISpeciesClassifier> Classifier { get; } = new(MockBehavior.Strict);

    public static readonly ModelStatus ReadyStatus = new("test-model", "always_crop", false, "CPUExecutionProvider", true, null, "test");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (_mockClassifier)
        {
            Classifier.SetupGet(c => c.Status).Returns(ReadyStatus);
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<ISpeciesClassifier>();
                services.AddSingleton(Classifier.Object);
            });
        }
        if (_configureServices is not null)
        {
            builder.ConfigureTestServices(_configureServices);
        }
    }

    /// <summary>The jobs data folder of this host.</summary>
    public string JobsDataDir => _settings["Jobs:DataDir"]!;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownedDataDir is not null && Directory.Exists(_ownedDataDir))
        {
            try
            {
                Directory.Delete(_ownedDataDir, recursive: true);
            }
            catch (IOException)
            {
                // A handle still open (SQLite pool): the temporary folder is left to the OS.
            }
        }
    }

    /// <summary>Starts Kestrel and returns a client bound to its loopback address.</summary>
    public HttpClient CreateHttpClient()
    {
        StartServer();
        return CreateClient();
    }
}
