namespace Atlas.Api.Observability;

/// <summary>Observability switches (configuration section <c>Observability</c>).</summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>Serve Prometheus metrics at <c>/metrics</c> and record HTTP metrics (default true; env <c>ENABLE_METRICS</c>).</summary>
    public bool EnableMetrics { get; set; } = true;
}
