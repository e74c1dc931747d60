using Atlas.Api.Contracts;
using Atlas.Api.Uploads;
using Atlas.Application.Predictions.ClassifyImage;
using Mediator;
using Atlas.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Controllers;

/// <summary>SpeciesNet on uploaded camera-trap images.</summary>
[ApiController]
[Authorize(Policy = AtlasPolicies.Client)]
public sealed class SpeciesNetController(ISender sender) : ControllerBase
{
    /// <summary>Detect and classify the animals in one image with the SpeciesNet ensemble.</summary>
    /// <remarks>
    /// Multipart form: <c>file</c> (required image, at most 5 MB by default), optional <c>country</c> (ISO 3166-1
    /// alpha-3), <c>admin1_region</c> (US state code, needs country), <c>latitude</c> and <c>longitude</c> (together).
    /// The location enables SpeciesNet's geofencing.
    /// </remarks>
    [HttpPost("uploadfile", Name = "uploadFile")]
    [Consumes("multipart/form-data")]
    [UploadLimit(UploadLimitKind.SingleImage)]
    [ProducesResponseType<UploadFileResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ActionResult<UploadFileResponse>> UploadFile([FromForm] UploadFileForm form, CancellationToken cancellationToken)
    {
        var upload = await form.File.ToImageUploadAsync("file", cancellationToken);
        var result = await sender.Send(new ClassifyImageCommand(upload, form.ToLocation()), cancellationToken);
        return result.ToResponse();
    }

    /// <summary>SpeciesNet analysis of one image, returned with the caller's prompt.</summary>
    /// <remarks>Multipart form: <c>prompt</c> (required text) plus the same fields as <c>/uploadfile/</c>.</remarks>
    [HttpPost("analyze", Name = "analyze")]
    [Consumes("multipart/form-data")]
    [UploadLimit(UploadLimitKind.SingleImage)]
    [ProducesResponseType<AnalyzeResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ActionResult<AnalyzeResponse>> Analyze([FromForm] AnalyzeForm form, CancellationToken cancellationToken)
    {
        var upload = await form.File.ToImageUploadAsync("file", cancellationToken);
        var result = await sender.Send(new ClassifyImageCommand(upload, form.ToLocation(), EchoPrompt: true, form.Prompt), cancellationToken);
        return new AnalyzeResponse(result.FileName, result.ContentSize, result.Prompt!, result.SpeciesNet.ToResponse());
    }
}
