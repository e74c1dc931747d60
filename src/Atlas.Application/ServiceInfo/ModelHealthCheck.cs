using Atlas.Domain.Abstractions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Atlas.Application.ServiceInfo;

/// <summary>
/// How Atlas's checks (registered with <c>AddHealthChecks</c>) speak in <c>/healthz</c>: each result's
/// <see cref="HealthCheckResult.Description"/> is the short status word of the body (<c>ok</c>, <c>degraded</c>,
/// <c>unavailable</c>, <c>not_configured</c>), and a check tagged <see cref="Required"/> decides readiness (it fails
/// readiness only when <see cref="HealthStatus.Unhealthy"/>; the demo model is degraded, not unready).
/// </summary>
public static class AtlasHealth
{
    /// <summary>Tag of the checks readiness depends on.</summary>
    public const string Required = "required";

    public const string Ok = "ok";
    public const string Degraded = "degraded";
    public const string Unavailable = "unavailable";
    public const string NotConfigured = "not_configured";
}

/// <summary>Model readiness (required): loaded and warmed up; the demo bundle is ready but degraded.</summary>
public sealed class ModelHealthCheck(ISpeciesClassifier classifier) : IHealthCheck
{
    public const string Name = "model";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var s = classifier.Status;
        var data = new Dictionary<string, object>
        {
            ["version"] = s.Version,
            ["type"] = s.Type,
            ["demo"] = s.IsDemo,
            ["execution_provider"] = s.ExecutionProvider,
            ["source"] = s.Source,
            ["detail"] = s.Detail!,
        };
        var result = !s.Ready
            ? HealthCheckResult.Unhealthy(AtlasHealth.Unavailable, data: data)
            : s.IsDemo ? HealthCheckResult.Degraded(AtlasHealth.Degraded, data: data) : HealthCheckResult.Healthy(AtlasHealth.Ok, data);
        return Task.FromResult(result);
    }
}
