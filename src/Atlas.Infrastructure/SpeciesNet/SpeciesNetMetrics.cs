using System.Diagnostics.Metrics;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// Inference timings by stage (decode, detect, classify, ensemble) as a System.Diagnostics.Metrics histogram,
/// so any exporter (Prometheus at /metrics, OpenTelemetry) can publish them without the engine knowing which.
/// </summary>
public sealed class SpeciesNetMetrics : IDisposable
{
    public const string MeterName = "Atlas.SpeciesNet";

    private readonly Meter _meter;
    private readonly Histogram<double> _stageSeconds;
    private readonly Counter<long> _images;

    public SpeciesNetMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _stageSeconds = _meter.CreateHistogram<double>("atlas_inference_stage_seconds", "s", "Time spent per SpeciesNet inference stage.");
        _images = _meter.CreateCounter<long>("atlas_inference_images_total", null, "Images run through SpeciesNet, by outcome.");
    }

    public void RecordStage(string stage, TimeSpan elapsed) =>
        _stageSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void RecordImage(string outcome) =>
        _images.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}
