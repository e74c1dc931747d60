using Atlas.Api.Security;
using Atlas.Api.Uploads;
using Atlas.Application.Rendering;
using Atlas.Domain.Geolocation;
using Mediator;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Controllers;

/// <summary>Draws SpeciesNet's boxes onto the uploaded image.</summary>
[ApiController]
[Authorize(Policy = AtlasPolicies.Client)]
public sealed class RenderController(ISender sender) : ControllerBase
{
    /// <summary>Response header naming where the location used for geofencing came from: request, exif or none.</summary>
    public const string LocationSourceHeader = "X-Atlas-Location-Source";

    /// <summary>Response header with the ensemble's prediction shown on the image (7-field label).</summary>
    public const string PredictionHeader = "X-Atlas-Prediction";

    /// <summary>Run SpeciesNet on one image and return it as a JPEG with the detections drawn.</summary>
    /// <remarks>
    /// Multipart form: the fields of <c>/uploadfile/</c> (<c>file</c>, optional <c>country</c>, <c>admin1_region</c>,
    /// <c>latitude</c>, <c>longitude</c>; without them the image's EXIF GPS position is used) plus <c>blur_people</c>
    /// (true blurs human and vehicle boxes), <c>min_conf</c> (0..1, default 0.2), <c>quality</c> (JPEG 1..100,
    /// default 85) and <c>max_size</c> (longest side in pixels, 16..8192). The image is EXIF-oriented (upright).
    /// </remarks>
    [HttpPost("v1/render", Name = "renderImage")]
    [Consumes("multipart/form-data")]
    [UploadLimit(UploadLimitKind.SingleImage)]
    [RequestTimeout(RoutePolicies.Inference)]
    [Produces("image/jpeg")]
    [ProducesResponseType<FileContentResult>(StatusCodes.Status200OK, "image/jpeg")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<IActionResult> Render([FromForm] RenderForm form, CancellationToken cancellationToken)
    {
        var upload = await form.File.ToImageUploadAsync("file", cancellationToken);
        var result = await sender.Send(new RenderImageCommand(upload, form.ToLocation(), form.ToOptions()), cancellationToken);
        Response.Headers[LocationSourceHeader] = result.Location.Source.ToWire();
        if (result.SpeciesNet.Prediction is { } prediction)
        {
            Response.Headers[PredictionHeader] = Uri.EscapeDataString(prediction);
        }

        return File(result.Image.Jpeg, "image/jpeg");
    }
}
