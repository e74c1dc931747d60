using Atlas.Domain.Abstractions;

namespace Atlas.Bench;

/// <summary>
/// Receives the engine's stage timings through its metrics port (<see cref="IInferenceMetrics"/>), so an engine
/// benchmark can say where the time went (decode / detect / classify / ensemble) without instrumenting twice.
/// </summary>
internal sealed class StageRecorder : IInferenceMetrics, IDisposable
{
    private static readonly string[] PipelineOrder = ["decode", "detect", "classify", "ensemble"];
    private readonly Dictionary<string, List<double>> _stages = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void RecordStage(InferenceStage stage, TimeSpan elapsed)
    {
        var name = stage.ToString().ToLowerInvariant();
        lock (_gate)
        {
            if (!_stages.TryGetValue(name, out var list)) _stages[name] = list = [];
            list.Add(elapsed.TotalMilliseconds);
        }
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

    public void Dispose()
    {
    }
}
