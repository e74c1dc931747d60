using System.Diagnostics.Metrics;
using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;

namespace Atlas.Api.Observability;

/// <summary>
/// The service's own measurements on a <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>,
/// created through the host's <see cref="IMeterFactory"/> (so each host, two in one test process included, has its
/// own meter instance). Stage timings are recorded as they happen; queue depth, slots in use, the execution
/// provider and model readiness are observable gauges, read whenever a listener collects (the Prometheus export on
/// <c>/metrics</c>, or any <see cref="MeterListener"/>).
/// </summary>
/// <remarks>
/// Instrument names are chosen so that prometheus-net's meter adapter, which names a metric
/// <c>{meter}_{instrument}</c> with dots turned into underscores and appends no unit, exports the names Atlas has
/// always served (<c>atlas_inference_stage_duration_seconds</c>, <c>atlas_inference_queue_depth</c>…).
/// </remarks>
public sealed class AtlasMeter : IInferenceMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Atlas";

    /// <summary>Histogram of stage durations in seconds, tagged <c>stage</c> (decode, detect, classify, ensemble).</summary>
    public const string StageDurationName = "inference.stage.duration.seconds";

    /// <summary>Observable gauge: inference requests waiting for a slot.</summary>
    public const string QueueDepthName = "inference.queue.depth";

    /// <summary>Observable gauge: inferences holding a slot.</summary>
    public const string InFlightName = "inferences.in_flight";

    /// <summary>Observable gauge: 1, tagged <c>provider</c> with the ONNX Runtime execution provider in use.</summary>
    public const string ExecutionProviderName = "execution_provider.info";

    /// <summary>Observable gauge: 1 when the model bundle is loaded and warmed up, else 0.</summary>
    public const string ModelReadyName = "model.ready";

    /// <summary>Bucket boundaries of the stage histogram (1 ms to about 33 s, doubling), given to exporters as advice.</summary>
    public static readonly IReadOnlyList<double> StageBuckets = Enumerable.Range(0, 16).Select(i => 0.001 * Math.Pow(2, i)).ToArray();

    private readonly Histogram<double> _stages;
    private readonly Lazy<IInferenceGate> _gate;
    private readonly Lazy<ISpeciesClassifier> _classifier;

    /// <summary>
    /// Takes the service provider rather than the gate and the classifier: the classifier (the engine's host)
    /// depends on <see cref="IInferenceMetrics"/>, so they are resolved on the first observation, not here.
    /// </summary>
    public AtlasMeter(IMeterFactory meterFactory, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(services);
        _gate = new Lazy<IInferenceGate>(services.GetRequiredService<IInferenceGate>);
        _classifier = new Lazy<ISpeciesClassifier>(services.GetRequiredService<ISpeciesClassifier>);
        Meter = meterFactory.Create(MeterName);
        _stages = Meter.CreateHistogram(StageDurationName, unit: "s",
            description: "Time spent in each inference stage (decode, detect, classify, ensemble).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StageBuckets });
        QueueDepth = Meter.CreateObservableGauge(QueueDepthName, () => _gate.Value.Queued,
            description: "Inference requests waiting for a slot.");
        InFlight = Meter.CreateObservableGauge(InFlightName, () => _gate.Value.InFlight,
            description: "Inferences holding a slot.");
        ExecutionProvider = Meter.CreateObservableGauge(ExecutionProviderName,
            () => new Measurement<int>(1, new KeyValuePair<string, object?>("provider", _classifier.Value.Status.ExecutionProvider)),
            description: "ONNX Runtime execution provider in use (value 1).");
        ModelReady = Meter.CreateObservableGauge(ModelReadyName, () => _classifier.Value.Status.Ready ? 1 : 0,
            description: "1 when the model bundle is loaded and warmed up.");
    }

    /// <summary>This host's meter (disposed with the host's <see cref="IMeterFactory"/>).</summary>
    public Meter Meter { get; }

    /// <summary>The stage duration histogram.</summary>
    public Instrument StageDuration => _stages;

    /// <summary>The queue depth gauge.</summary>
    public Instrument QueueDepth { get; }

    /// <summary>The in-flight gauge.</summary>
    public Instrument InFlight { get; }

    /// <summary>The execution provider gauge.</summary>
    public Instrument ExecutionProvider { get; }

    /// <summary>The model readiness gauge.</summary>
    public Instrument ModelReady { get; }

    /// <inheritdoc />
    public void RecordStage(InferenceStage stage, TimeSpan elapsed) =>
        _stages.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", StageLabel(stage)));

    /// <summary>The execution provider in use now (what <see cref="ExecutionProvider"/> reports).</summary>
    internal string CurrentExecutionProvider => _classifier.Value.Status.ExecutionProvider;

    private static string StageLabel(InferenceStage stage) => stage switch
    {
        InferenceStage.Decode => "decode",
        InferenceStage.Detect => "detect",
        InferenceStage.Classify => "classify",
        InferenceStage.Ensemble => "ensemble",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };
}
