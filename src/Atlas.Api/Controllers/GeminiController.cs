using Atlas.Api.Contracts;
using Atlas.Api.Uploads;
using Atlas.Application.Gemini.AnalyzeWithGemini;
using Atlas.Application.Images;
using Mediator;
using Atlas.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Controllers;

/// <summary>Gemini analysis of one or more images, grouped by the label Gemini gives each.</summary>
[ApiController]
[Authorize(Policy = AtlasPolicies.Client)]
public sealed class GeminiController(ISender sender) : ControllerBase
{
    /// <summary>Ask Gemini the prompt about each image and group images whose answers share a label.</summary>
    /// <remarks>
    /// Multipart form: <c>prompt</c> (required), <c>files</c> (one or more JPEG, PNG or WebP images, each field
    /// named <c>files</c>), <c>schema_json</c> (optional JSON object schema for each answer; by default each answer
    /// has <c>category_label</c>, <c>description</c> and <c>confidence</c>). One Gemini call per image; an image
    /// whose call fails carries its own error while the others are answered. Needs <c>GOOGLE_API_KEY</c> (else 503).
    /// </remarks>
    [HttpPost("gemini/analyze", Name = "geminiAnalyze")]
    [Consumes("multipart/form-data")]
    [UploadLimit(UploadLimitKind.MultipleImages)]
    [ProducesResponseType<GeminiAnalyzeResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status504GatewayTimeout, "application/problem+json")]
    public async Task<ActionResult<GeminiAnalyzeResponse>> Analyze([FromForm] GeminiAnalyzeForm form, CancellationToken cancellationToken)
    {
        var files = form.Files ?? [];
        var uploads = new List<ImageUpload>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            uploads.Add((await files[i].ToImageUploadAsync($"files[{i}]", cancellationToken))!);
        }

        var schema = string.IsNullOrWhiteSpace(form.SchemaJson) ? null : form.SchemaJson;
        var result = await sender.Send(new AnalyzeWithGeminiCommand(form.Prompt, uploads, schema), cancellationToken);
        return result.ToResponse();
    }
}
