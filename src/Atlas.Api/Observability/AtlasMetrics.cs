using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;
using Prometheus;

namespace Atlas.Api.Observability;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (so two hosts in one process, as in tests, never
/// share state). Inference stage timings are recorded as they happen; queue depth, slots in use, the execution
/// provider and model readiness are read when <c>/metrics</c> is scraped.
/// </summary>
public sealed class AtlasMetrics : IInferenceMetrics
{
    private readonly Histogram _stages;
    private readonly Gauge _queueDepth;
    private readonly Gauge _inFlight;
    private readonly Gauge _provider;
    private readonly Gauge _modelReady;
    private string? _reportedProvider;

    public AtlasMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        Factory = Metrics.WithCustomRegistry(Registry);
        _stages = Factory.CreateHistogram("atlas_inference_stage_duration_seconds",
            "Time spent in each inference stage (decode, detect, classify, ensemble).",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _queueDepth = Factory.CreateGauge("atlas_inference_queue_depth", "Inference requests waiting for a slot.");
        _inFlight = Factory.CreateGauge("atlas_inferences_in_flight", "Inferences holding a slot.");
        _provider = Factory.CreateGauge("atlas_execution_provider_info", "ONNX Runtime execution provider in use (value 1).",
            new GaugeConfiguration { LabelNames = ["provider"] });
        _modelReady = Factory.CreateGauge("atlas_model_ready", "1 when the model bundle is loaded and warmed up.");
    }

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }

    public void RecordStage(InferenceStage stage, TimeSpan elapsed) =>
        _stages.WithLabels(StageLabel(stage)).Observe(elapsed.TotalSeconds);

    /// <summary>Reads the gauges' current values; called before each scrape.</summary>
    public void Refresh(IInferenceGate gate, ISpeciesClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(classifier);
        _queueDepth.Set(gate.Queued);
        _inFlight.Set(gate.InFlight);
        var status = classifier.Status;
        _modelReady.Set(status.Ready ? 1 : 0);
        if (_reportedProvider != status.ExecutionProvider)
        {
            if (_reportedProvider is not null) _provider.RemoveLabelled(_reportedProvider);
            _provider.WithLabels(status.ExecutionProvider).Set(1);
            _reportedProvider = status.ExecutionProvider;
        }
    }

    private static string StageLabel(InferenceStage stage) => stage switch
    {
        InferenceStage.Decode => "decode",
        InferenceStage.Detect => "detect",
        InferenceStage.Classify => "classify",
        InferenceStage.Ensemble => "ensemble",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };
}
