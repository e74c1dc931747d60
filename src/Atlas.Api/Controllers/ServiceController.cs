using Atlas.Api.Contracts;
using Atlas.Application.ServiceInfo;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Atlas.Api.Controllers;

/// <summary>Service metadata and readiness: open to probes and scrapers without an API key.</summary>
[ApiController]
[AllowAnonymous]
public sealed class ServiceController(ISender sender, HealthCheckService health) : ControllerBase
{
    /// <summary>The routes this service answers, for <c>GET /</c>.</summary>
    public static readonly IReadOnlyList<RouteResponse> Routes =
    [
        new("GET", "/", "Service metadata: version, model bundle, routes."),
        new("GET", "/healthz", "Readiness: model loaded and warmed up, execution provider, Gemini key configured."),
        new("GET", "/livez", "Liveness: 200 whenever the process serves requests."),
        new("POST", "/uploadfile/", "SpeciesNet on one image (multipart field 'file'; optional country, admin1_region, latitude, longitude)."),
        new("POST", "/analyze/", "SpeciesNet on one image plus the echoed 'prompt'."),
        new("POST", "/gemini/analyze/", "Gemini on one or more images ('files') with a 'prompt' and optional 'schema_json'; results grouped by category_label."),
    ];

    /// <summary>Service metadata for quick smoke tests.</summary>
    [HttpGet("/", Name = "getServiceInfo")]
    [ProducesResponseType<ServiceInfoResponse>(StatusCodes.Status200OK)]
    public async Task<ServiceInfoResponse> Get(CancellationToken cancellationToken)
    {
        var info = await sender.Send(new GetServiceInfoQuery(), cancellationToken);
        var m = info.Model;
        var warning = m.IsDemo
            ? "Atlas is running on a demo model bundle of untrained stand-ins: predictions are meaningless. Set SPECIESNET_MODEL_DIR to a converted SpeciesNet bundle."
            : null;
        return new ServiceInfoResponse(info.Service, info.Version, m.Version,
            new ModelResponse(m.Version, m.Type, m.IsDemo, m.ExecutionProvider, m.Ready, m.Source, m.Detail, warning), Routes);
    }

    /// <summary>Readiness probe: 200 when every required check passes, 503 otherwise (the checks registered with AddHealthChecks).</summary>
    [HttpGet("/healthz", Name = "getHealth")]
    [ProducesResponseType<HealthResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<HealthResponse>(StatusCodes.Status503ServiceUnavailable)]
    public async Task<ActionResult<HealthResponse>> Health(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var body = HealthResponse.From(report);
        return body.Status == AtlasHealth.Ok ? Ok(body) : StatusCode(StatusCodes.Status503ServiceUnavailable, body);
    }

    /// <summary><c>HEAD /</c> for load balancers and uptime checks that probe with HEAD (not in the OpenAPI document).</summary>
    [HttpHead("/")]
    [ApiExplorerSettings(IgnoreApi = true)]
    public IActionResult HeadRoot() => Ok();

    /// <summary><c>HEAD /healthz</c>: the readiness status code without the body.</summary>
    [HttpHead("/healthz")]
    [ApiExplorerSettings(IgnoreApi = true)]
    public async Task<IActionResult> HeadHealth(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        return StatusCode(HealthResponse.From(report).Status == AtlasHealth.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
