using Atlas.Application.ServiceInfo;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using System.Text.Json.Serialization;

namespace Atlas.Api.Contracts;

/// <summary>Response of <c>GET /</c>.</summary>
public sealed record ServiceInfoResponse(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("model")] ModelResponse Model,
    [property: JsonPropertyName("routes")] IReadOnlyList<RouteResponse> Routes);

/// <summary>The loaded model bundle.</summary>
public sealed record ModelResponse(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("demo")] bool Demo,
    [property: JsonPropertyName("execution_provider")] string ExecutionProvider,
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("warning")] string? Warning);

/// <summary>One public route.</summary>
public sealed record RouteResponse(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("description")] string Description);

/// <summary>Response of <c>GET /healthz</c>.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, HealthCheckResponse> Checks)
{
    /// <summary>
    /// The body from the framework's report: each check's status word is its description (see <see cref="AtlasHealth"/>),
    /// and the service is ready (<c>ok</c>) unless a required check is unhealthy.
    /// </summary>
    public static HealthResponse From(HealthReport report)
    {
        var checks = report.Entries.ToDictionary(
            e => e.Key,
            e => new HealthCheckResponse(
                e.Value.Description ?? (e.Value.Status == HealthStatus.Unhealthy ? AtlasHealth.Unavailable : AtlasHealth.Ok),
                e.Value.Tags.Contains(AtlasHealth.Required),
                e.Value.Data.ToDictionary(d => d.Key, d => (object?)d.Value, StringComparer.Ordinal)),
            StringComparer.Ordinal);
        var ready = report.Entries.Values.All(e => !e.Tags.Contains(AtlasHealth.Required) || e.Status != HealthStatus.Unhealthy);
        return new HealthResponse(ready ? AtlasHealth.Ok : AtlasHealth.Unavailable, checks);
    }
}

/// <summary>One readiness check.</summary>
public sealed record HealthCheckResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("required")] bool Required,
    [property: JsonPropertyName("data")] IReadOnlyDictionary<string, object?> Data);

/// <summary>Response of <c>GET /livez</c>.</summary>
public sealed record LivenessResponse(
    [property: JsonPropertyName("status")] string Status);
