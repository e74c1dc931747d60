using System.Diagnostics.Metrics;
using Atlas.Infrastructure.SpeciesNet;

namespace Atlas.Bench;

/// <summary>
/// Listens to the engine's own stage histogram (<see cref="SpeciesNetMetrics"/>) so an engine benchmark can say
/// where the time went (decode / detect / classify / ensemble) without instrumenting the engine twice.
/// </summary>
internal sealed class StageRecorder : IDisposable
{
    private static readonly string[] PipelineOrder = ["decode", "detect", "classify", "ensemble"];
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, List<double>> _stages = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public StageRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SpeciesNetMetrics.MeterName && instrument.Name == "atlas_inference_stage_seconds")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is not { Key: "stage", Value: string stage }) continue;
                lock (_gate)
                {
                    if (!_stages.TryGetValue(stage, out var list)) _stages[stage] = list = [];
                    list.Add(seconds * 1000);
                }
            }
        });
        _listener.Start();
    }

    public void Clear()
    {
        lock (_gate) _stages.Clear();
    }

    /// <summary>Median milliseconds per stage over the last <paramref name="count"/> calls, in pipeline order.</summary>
    public string Summary(int count)
    {
        lock (_gate)
        {
            return string.Join(", ", PipelineOrder
                .Where(_stages.ContainsKey)
                .Select(s =>
                {
                    var last = _stages[s].TakeLast(count).Order().ToArray();
                    return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{s} {Harness.Percentile(last, 0.5):0.0}");
                })) + " ms (stage medians)";
        }
    }

    public void Dispose() => _listener.Dispose();
}
