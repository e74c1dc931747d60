using Atlas.Api.Configuration;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Observability;

/// <summary>Observability switches (<c>ENABLE_METRICS</c>), parsed like the security settings.</summary>
public sealed class ObservabilityOptions
{
    public const string EnableMetricsKey = "Observability:EnableMetrics";

    /// <summary>Serve Prometheus metrics at <c>/metrics</c> and record HTTP metrics (default true).</summary>
    public bool EnableMetrics { get; private set; } = true;

    internal IReadOnlyList<string> Errors { get; private set; } = [];

    internal void Load(IConfiguration configuration)
    {
        var read = new SettingReader(configuration);
        EnableMetrics = read.Boolean(EnableMetricsKey, EnableMetrics);
        Errors = read.Errors;
    }
}

internal sealed class ObservabilityOptionsValidator : IValidateOptions<ObservabilityOptions>
{
    public ValidateOptionsResult Validate(string? name, ObservabilityOptions options) =>
        options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
}
