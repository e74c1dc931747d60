using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Api.Contracts.Batch;
using Atlas.Api.Uploads;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;
using Mediator;
using Microsoft.AspNetCore.Http.Timeouts;
using Atlas.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Controllers;

/// <summary>Batch SpeciesNet: many images per request, SpeciesNet / MegaDetector / CSV output, component modes.</summary>
[ApiController]
[Authorize(Policy = AtlasPolicies.Client)]
public sealed class BatchController(ISender sender, BatchIntake intake, ISpeciesClassifier classifier) : ControllerBase
{
    /// <summary>Run SpeciesNet on many images in one multipart request.</summary>
    /// <remarks>
    /// Multipart form, text fields first: <c>format</c> (speciesnet | megadetector | csv), <c>mode</c> (full | detector |
    /// classifier), <c>classify_all_boxes</c>, <c>max_classifications</c>, <c>min_box_confidence</c>, default
    /// <c>country</c>, <c>admin1_region</c>, <c>latitude</c>, <c>longitude</c>, and <c>metadata</c> (JSON object keyed by
    /// file name with per-image location fields); then one file part per image. A bad image gets a <c>failures</c> entry;
    /// results keep input order. Streams image by image; limits Batch:MaxImages and Batch:MaxRequestBytes answer 413.
    /// </remarks>
    [HttpPost("v1/predictions", Name = "predictBatch")]
    [Consumes("multipart/form-data")]
    [DisableRequestTimeout]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<IActionResult> Predict()
    {
        // No bound parameters: any would make MVC's form value provider read (and buffer) the whole body first.
        var (plan, results) = await intake.RunAsync(Request, sender, HttpContext.RequestAborted);
        return new BatchOutputResult(plan.Format, plan.Options.Mode, results, classifier.Status.Version);
    }

    /// <summary>SpeciesNet's ensemble-only mode: re-run the rules on precomputed classifications and detections.</summary>
    /// <remarks>
    /// JSON body: <c>{"predictions": [{"filepath", "country"?, "admin1_region"?, "latitude"?, "longitude"?,
    /// "classifications": {"classes", "scores"}, "detections": [{"category","label","conf","bbox"}]}], "country"?,
    /// "admin1_region"?}</c> (<c>instances</c> is accepted for <c>predictions</c>; top-level country/admin1 override every
    /// instance). <c>?format=</c> speciesnet (default) | megadetector | csv.
    /// </remarks>
    [HttpPost("v1/ensemble", Name = "runEnsemble")]
    [Consumes("application/json")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<IActionResult> Ensemble([FromBody] EnsembleRequest body, [FromQuery(Name = "format")] string? format, CancellationToken cancellationToken)
    {
        var result = await sender.Send(body.ToCommand(format), cancellationToken);
        return new BatchOutputResult(result.Format, ComponentMode.Full, new InMemoryBatchResults(result.Results), classifier.Status.Version);
    }
}

/// <summary>Body of <c>POST /v1/ensemble</c>: SpeciesNet predictions (or instances) JSON.</summary>
public sealed class EnsembleRequest
{
    [JsonPropertyName("predictions")]
    public List<EnsembleInstanceDto>? Predictions { get; set; }

    [JsonPropertyName("instances")]
    public List<EnsembleInstanceDto>? Instances { get; set; }

    [JsonPropertyName("country")]
    public string? Country { get; set; }

    [JsonPropertyName("admin1_region")]
    public string? Admin1Region { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    internal RunEnsembleCommand ToCommand(string? format)
    {
        var list = Predictions ?? Instances;
        return new RunEnsembleCommand(
            list?.Select(i => i.ToInstance()).ToList(),
            format,
            string.IsNullOrWhiteSpace(Country) ? null : Country.Trim(),
            string.IsNullOrWhiteSpace(Admin1Region) ? null : Admin1Region.Trim());
    }
}

/// <summary>One SpeciesNet entry; other keys of a predictions entry (prediction, model_version…) are ignored.</summary>
public sealed class EnsembleInstanceDto
{
    [JsonPropertyName("filepath")]
    public string? FilePath { get; set; }

    [JsonPropertyName("country")]
    public string? Country { get; set; }

    [JsonPropertyName("admin1_region")]
    public string? Admin1Region { get; set; }

    [JsonPropertyName("latitude")]
    public double? Latitude { get; set; }

    [JsonPropertyName("longitude")]
    public double? Longitude { get; set; }

    [JsonPropertyName("classifications")]
    public ClassificationsDto? Classifications { get; set; }

    [JsonPropertyName("detections")]
    public List<DetectionDto>? Detections { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    internal EnsembleInstance ToInstance() => new(
        FilePath,
        new GeoLocation(Blank(Country), Blank(Admin1Region), Latitude, Longitude),
        Classifications is null ? null : new Classifications(Classifications.Classes ?? [], Classifications.Scores ?? []),
        Detections?.Select(d => new Detection(d.Category ?? string.Empty, d.Label ?? string.Empty, d.Conf ?? double.NaN, d.Bbox ?? [])).ToList());

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

public sealed class ClassificationsDto
{
    [JsonPropertyName("classes")]
    public List<string>? Classes { get; set; }

    [JsonPropertyName("scores")]
    public List<double>? Scores { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class DetectionDto
{
    [JsonPropertyName("category")]
    public string? Category { get; set; }

    [JsonPropertyName("label")]
    public string? Label { get; set; }

    [JsonPropertyName("conf")]
    public double? Conf { get; set; }

    [JsonPropertyName("bbox")]
    public List<double>? Bbox { get; set; }
}
