using Atlas.Application.ServiceInfo;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Gemini;

/// <summary><c>/healthz</c> entry "gemini": whether a key is set (never the key) and the model. Not required for readiness.</summary>
internal sealed class GeminiHealthCheck(IOptions<GeminiOptions> options) : IHealthCheck
{
    public const string Name = "gemini";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var data = new Dictionary<string, object> { ["configured"] = o.IsConfigured, ["model"] = o.ModelId };
        return Task.FromResult(o.IsConfigured
            ? HealthCheckResult.Healthy(AtlasHealth.Ok, data)
            : HealthCheckResult.Degraded(AtlasHealth.NotConfigured, data: data));
    }
}
