using Atlas.Api.ErrorHandling;
using Atlas.Application.Gemini.AnalyzeWithGemini;
using Atlas.Domain.Gemini;

namespace Atlas.Api.Contracts;

/// <summary>Maps the Gemini analysis result onto its JSON contract.</summary>
internal static class GeminiMapping
{
    public static GeminiAnalyzeResponse ToResponse(this AnalyzeWithGeminiResult result) => new(
        result.Prompt,
        result.Groups.Select(g => new GeminiGroupResponse(
            g.Label,
            g.LabelField,
            g.Count,
            g.Images.Select(i => i.Index).ToArray(),
            g.Images.Select(i => i.FileName).ToArray(),
            g.Images.Select(i => i.Response!.Value).ToArray())).ToArray(),
        result.Images.Select(ToResponse).ToArray(),
        new GeminiMetadataResponse(
            result.Model,
            "per_image",
            result.DefaultSchema ? "default" : "custom",
            result.Images.Count,
            result.Succeeded,
            result.Failed,
            Math.Round(result.Latency.TotalMilliseconds, 1),
            result.Usage?.ToResponse()));

    private static GeminiImageResponse ToResponse(GeminiImageResult i) => new(
        i.Index,
        i.FileName,
        i.ContentSize,
        i.MediaType,
        i.Succeeded ? "ok" : "error",
        i.Label?.Value,
        i.Response,
        i.FinishReason,
        i.ModelVersion,
        Math.Round(i.Latency.TotalMilliseconds, 1),
        i.Usage?.ToResponse(),
        i.Error is { } e ? new GeminiErrorResponse(AtlasExceptionHandler.StatusFor(e), e.Title, e.Message) : null);

    private static GeminiUsageResponse ToResponse(this GeminiUsage u) =>
        new(u.PromptTokens, u.CandidatesTokens, u.ThoughtsTokens, u.TotalTokens);
}
