using Atlas.Domain.Abstractions;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>Used when the host registers no metrics exporter (tools, benchmarks): stage timings are dropped.</summary>
public sealed class NoInferenceMetrics : IInferenceMetrics
{
    public void RecordStage(InferenceStage stage, TimeSpan elapsed)
    {
    }
}
