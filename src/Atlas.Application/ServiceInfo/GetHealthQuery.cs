using Atlas.Domain.Abstractions;
using Mediator;

namespace Atlas.Application.ServiceInfo;

/// <summary><c>GET /healthz</c>: readiness and the checks behind it.</summary>
public sealed record GetHealthQuery : IQuery<HealthReport>;

/// <summary>One named readiness check.</summary>
/// <param name="Status"><c>ok</c>, or a short word saying what is wrong (<c>unavailable</c>, <c>not_configured</c>, <c>degraded</c>).</param>
/// <param name="Required">Whether readiness depends on it (a failing required check makes <c>/healthz</c> answer 503).</param>
/// <param name="Data">Details (model version, execution provider…); never secrets.</param>
public sealed record HealthCheck(string Status, bool Required, IReadOnlyDictionary<string, object?> Data)
{
    /// <summary>A check passes when it is not required, or when it is <c>ok</c> or <c>degraded</c> (e.g. the demo model).</summary>
    public bool Healthy => !Required || Status is "ok" or "degraded";
}

/// <summary>Overall status (<c>ok</c> or <c>unavailable</c>) and each check.</summary>
public sealed record HealthReport(string Status, IReadOnlyDictionary<string, HealthCheck> Checks)
{
    public bool Healthy => Status == "ok";
}

/// <summary>
/// Something whose state belongs in <c>/healthz</c>. Infrastructure and Application register
/// implementations; the health query asks each one.
/// </summary>
public interface IHealthContributor
{
    string Name { get; }
    HealthCheck Check();
}

/// <summary>Model readiness: required. The demo bundle is ready but flagged.</summary>
public sealed class ModelHealthContributor(ISpeciesClassifier classifier) : IHealthContributor
{
    public string Name => "model";

    public HealthCheck Check()
    {
        var s = classifier.Status;
        return new HealthCheck(
            s.Ready ? (s.IsDemo ? "degraded" : "ok") : "unavailable",
            Required: true,
            new Dictionary<string, object?>
            {
                ["version"] = s.Version,
                ["type"] = s.Type,
                ["demo"] = s.IsDemo,
                ["execution_provider"] = s.ExecutionProvider,
                ["source"] = s.Source,
                ["detail"] = s.Detail,
            });
    }
}

public sealed class GetHealthHandler(IEnumerable<IHealthContributor> contributors) : IQueryHandler<GetHealthQuery, HealthReport>
{
    public ValueTask<HealthReport> Handle(GetHealthQuery query, CancellationToken cancellationToken)
    {
        var checks = contributors.ToDictionary(c => c.Name, c => c.Check(), StringComparer.Ordinal);
        var healthy = checks.Values.All(c => c.Healthy);
        return ValueTask.FromResult(new HealthReport(healthy ? "ok" : "unavailable", checks));
    }
}
