using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// Owns the SpeciesNet engine for the process lifetime and is the <see cref="ISpeciesClassifier"/> the application
/// sees. At start it loads and validates the bundle synchronously, so a broken bundle stops the service with a
/// message naming the file; then it warms both models up in the background, and readiness (<see cref="Status"/>,
/// <c>/healthz</c>) stays false until that is done. Requests that arrive before are answered 503 + Retry-After.
/// </summary>
public sealed class SpeciesNetHost : ISpeciesClassifier, IHostedService, IDisposable
{
    /// <summary>Shown in <c>Source</c> for the embedded bundle.</summary>
    public const string DemoSource = "embedded demo bundle";

    private readonly SpeciesNetOptions _options;
    private readonly OnnxSessionFactory _sessions;
    private readonly ImageDecoder _decoder;
    private readonly IInferenceMetrics _metrics;
    private readonly ILogger<SpeciesNetHost> _logger;
    private SpeciesNetEngine? _engine;
    private volatile ModelStatus _status;
    private Task? _warmUp;

    public SpeciesNetHost(
        IOptions<SpeciesNetOptions> options,
        OnnxSessionFactory sessions,
        ImageDecoder decoder,
        IInferenceMetrics metrics,
        ILogger<SpeciesNetHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _sessions = sessions;
        _decoder = decoder;
        _metrics = metrics;
        _logger = logger;
        _status = new ModelStatus("unloaded", "unknown", string.IsNullOrWhiteSpace(_options.ModelDir), "none", false, "The model bundle has not been loaded yet.", SourceName);
    }

    private string SourceName => string.IsNullOrWhiteSpace(_options.ModelDir) ? DemoSource : Path.GetFullPath(_options.ModelDir);

    public ModelStatus Status => _status;

    /// <summary>Completes when warm-up has finished (successfully or not); for tests and benchmarks.</summary>
    public Task WhenWarm => _warmUp ?? Task.CompletedTask;

    /// <summary>
    /// Test seam: when set before <see cref="StartAsync"/>, background warm-up waits for this task before running
    /// the models, so a test can observe the not-ready window (503 + Retry-After) without racing a timer.
    /// </summary>
    internal Task? WarmUpGate { get; set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _engine = new SpeciesNetEngine(LoadBundle(), _sessions, _decoder, _options.Geofence, _metrics, _logger, MicroBatching.From(_options))
        {
            ScaledDecode = _options.ScaledDecode,
        };
        var bundle = _engine.Bundle; // without the model bytes, so nothing here keeps them alive
        var provider = _engine.ExecutionProvider;
        if (_engine.FallbackReason is { } reason)
        {
            _logger.LogWarning("SpeciesNet runs on {Provider}: CUDA is not available ({Reason})", provider, reason);
        }

        if (bundle.IsDemo)
        {
            _logger.LogWarning(
                "SpeciesNet is running on a DEMO BUNDLE ({Version}, {Source}): its models are untrained stand-ins and every prediction is meaningless. Set SPECIESNET_MODEL_DIR to a converted SpeciesNet bundle (see README).",
                bundle.Version, bundle.Source);
        }

        SetStatus(bundle, provider, ready: !_options.WarmUp, _options.WarmUp ? "Warming up the models." : Fallback());
        if (_options.WarmUp)
        {
            var gate = WarmUpGate ?? Task.CompletedTask;
            _warmUp = Task.Run(() => WarmUpAsync(bundle, provider, gate), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<SpeciesNetPrediction> PredictAsync(ReadOnlyMemory<byte> image, GeoLocation location, CancellationToken cancellationToken)
    {
        var engine = ReadyEngine();
        try
        {
            return ValueTask.FromResult(engine.Predict(image.Span, location, cancellationToken));
        }
        catch (ObjectDisposedException ex)
        {
            throw ShuttingDown(ex);
        }
    }

    public ValueTask<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> image, GeoLocation location, AnalysisOptions options, CancellationToken cancellationToken)
    {
        var engine = ReadyEngine();
        try
        {
            return ValueTask.FromResult(engine.Analyze(image.Span, location, options, cancellationToken));
        }
        catch (ObjectDisposedException ex)
        {
            throw ShuttingDown(ex);
        }
    }

    /// <summary>Needs only the loaded bundle (taxonomy, geofence), not warm models.</summary>
    public SpeciesNetPrediction Combine(Classifications? classifications, IReadOnlyList<Atlas.Domain.SpeciesNet.Detection>? detections, GeoLocation location)
    {
        var engine = _engine ?? throw new ServiceUnavailableException(
            $"The SpeciesNet model is not ready: {_status.Detail ?? "still loading"}", TimeSpan.FromSeconds(5));
        return engine.Combine(classifications, detections, location);
    }

    private SpeciesNetEngine ReadyEngine()
    {
        var engine = _engine;
        var status = _status;
        if (engine is null || !status.Ready)
        {
            throw new ServiceUnavailableException(
                $"The SpeciesNet model is not ready: {status.Detail ?? "still loading"}", TimeSpan.FromSeconds(5));
        }
        return engine;
    }

    private static ServiceUnavailableException ShuttingDown(Exception inner) =>
        new("The service is shutting down; send the image again.", TimeSpan.FromSeconds(5), inner);

    private ModelBundle LoadBundle()
    {
        if (string.IsNullOrWhiteSpace(_options.ModelDir))
        {
            return ModelBundle.LoadFiles(DemoBundle.CreateFiles(), DemoSource, isDemo: true);
        }

        var bundle = ModelBundle.LoadDirectory(_options.ModelDir);
        _logger.LogInformation("Loaded SpeciesNet bundle {Version} ({Type}) from {Source}: {Labels} labels, {Taxa} taxa, {Geofenced} geofenced taxa",
            bundle.Version, bundle.TypeName, bundle.Source, bundle.Labels.Count, bundle.Taxonomy.Count, bundle.Geofence.Count);
        return bundle;
    }

    private async Task WarmUpAsync(ModelBundle bundle, string provider, Task gate)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await gate.ConfigureAwait(false);
            _engine!.WarmUp();
            SetStatus(bundle, provider, ready: true, Fallback());
            _logger.LogInformation("SpeciesNet {Version} warmed up on {Provider} in {ElapsedMs:0} ms; ready",
                bundle.Version, provider, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex)
        {
            SetStatus(bundle, provider, ready: false, $"Warm-up failed: {ex.Message}");
            _logger.LogCritical(ex, "SpeciesNet warm-up failed; the service stays not ready");
        }
    }

    private string? Fallback() => _engine?.FallbackReason is { } reason ? $"CUDA unavailable, running on CPU: {reason}" : null;

    private void SetStatus(ModelBundle bundle, string provider, bool ready, string? detail) =>
        _status = new ModelStatus(bundle.Version, bundle.TypeName, bundle.IsDemo, provider, ready, detail, bundle.Source);

    /// <summary>The engine waits for a warm-up or prediction still running before it releases the sessions.</summary>
    public void Dispose() => _engine?.Dispose();
}
