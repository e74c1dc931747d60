using System.Diagnostics.Metrics;
using Prometheus;

namespace Atlas.Api.Observability;

/// <summary>
/// The Prometheus export behind <c>/metrics</c>, in a registry of its own (so two hosts in one process, as in tests,
/// never share state): prometheus-net's <see cref="MeterAdapter"/> publishes this host's <see cref="AtlasMeter"/>
/// (and no other meter, nor another host's meter of the same name) into the registry; the HTTP middleware's metrics
/// and the .NET process metrics are prometheus-net collectors in the same registry.
/// </summary>
/// <remarks>
/// <c>atlas_execution_provider_info</c> stays a prometheus-net gauge: the adapter cannot remove a series (it only
/// expires series after a quiet period), so the old provider's series would linger after the provider changed.
/// </remarks>
public sealed class AtlasMetrics : IDisposable
{
    private readonly AtlasMeter _meter;
    private readonly IDisposable _adapter;
    private readonly Gauge _provider;
    private readonly object _refreshLock = new();
    private string? _reportedProvider;

    public AtlasMetrics(AtlasMeter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        Factory = Metrics.WithCustomRegistry(Registry);
        _provider = Factory.CreateGauge("atlas_execution_provider_info", "ONNX Runtime execution provider in use (value 1).",
            new GaugeConfiguration { LabelNames = ["provider"] });
        Registry.AddBeforeCollectCallback(RefreshProvider);
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // In prometheus-net 8.2.1 the factory wins over Registry and defaults to the process-wide registry's.
            MetricFactory = Factory,
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, meter.Meter) && !ReferenceEquals(instrument, meter.ExecutionProvider),
            ResolveHistogramBuckets = instrument => instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } buckets }
                ? [.. buckets]
                : MeterAdapterOptions.DefaultHistogramBuckets,
            // The adapter drops a series not updated for this long (at most a day, prometheus-net's limit). Gauges
            // are updated at every scrape; a stage whose histogram saw no inference for a day restarts from zero,
            // which Prometheus' rate() reads as a counter reset.
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The factory the HTTP metrics middleware creates its collectors with.</summary>
    public IMetricFactory Factory { get; }

    public void Dispose() => _adapter.Dispose();

    private void RefreshProvider()
    {
        var current = _meter.CurrentExecutionProvider;
        lock (_refreshLock)
        {
            if (_reportedProvider == current) return;
            if (_reportedProvider is not null) _provider.RemoveLabelled(_reportedProvider);
            _provider.WithLabels(current).Set(1);
            _reportedProvider = current;
        }
    }
}
