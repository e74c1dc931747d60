using Atlas.Domain.Images;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Atlas.Application.Images;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.Gemini;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Gemini.AnalyzeWithGemini;

/// <summary>
/// <c>POST /gemini/analyze/</c>: ask Gemini the caller's prompt about each image, get a JSON answer per image
/// that follows <paramref name="SchemaJson"/> (or <see cref="ResponseSchema.DefaultJson"/>), and group images
/// whose answers share a label.
/// </summary>
/// <remarks>
/// One Gemini call per image, at most <see cref="GeminiAnalysisOptions.MaxConcurrency"/> at a time. Why not one
/// call for all images: a failure (429, 500, timeout, an answer that breaks the schema) then costs only that
/// image, not the whole request; each answer belongs to its image without trusting the model to number them;
/// each call stays far below Gemini's ~20 MB inline limit instead of all images sharing it; and the calls run in
/// parallel. The cost: the prompt and schema tokens are paid once per image, and separate calls may spell the
/// same label differently, which grouping absorbs by ignoring case and spacing (see <see cref="GeminiGrouping"/>).
/// </remarks>
public sealed record AnalyzeWithGeminiCommand(string? Prompt, IReadOnlyList<ImageUpload> Images, string? SchemaJson)
    : ICommand<AnalyzeWithGeminiResult>;

/// <summary>One image's outcome: Gemini's parsed answer and its label, or the error that stopped it.</summary>
public sealed record GeminiImageResult(int Index, string FileName, long ContentSize, string MediaType, TimeSpan Latency)
{
    /// <summary>The answer, parsed (null when the analysis failed).</summary>
    public JsonElement? Response { get; init; }

    /// <summary>The label this image is grouped by, if its answer has one.</summary>
    public GroupLabel? Label { get; init; }

    public string? FinishReason { get; init; }
    public GeminiUsage? Usage { get; init; }
    public string? ModelVersion { get; init; }

    /// <summary>Why this image has no answer (502, 503 or 504 errors), or null.</summary>
    public AtlasException? Error { get; init; }

    public bool Succeeded => Error is null;
}

/// <summary>Images sharing one label (<see cref="Label"/> null: one image whose answer has no label).</summary>
public sealed record GeminiImageGroup(string? Label, string? LabelField, IReadOnlyList<GeminiImageResult> Images)
{
    public int Count => Images.Count;
}

/// <summary>Every image's outcome, the groups, and call metadata (summed token usage when Gemini reported it).</summary>
public sealed record AnalyzeWithGeminiResult(
    string Prompt,
    string Model,
    bool DefaultSchema,
    IReadOnlyList<GeminiImageResult> Images,
    IReadOnlyList<GeminiImageGroup> Groups,
    TimeSpan Latency,
    GeminiUsage? Usage)
{
    public int Succeeded => Images.Count(i => i.Succeeded);
    public int Failed => Images.Count - Succeeded;
}

public sealed class AnalyzeWithGeminiHandler(IGeminiGateway gateway, IOptions<GeminiAnalysisOptions> options, ILogger<AnalyzeWithGeminiHandler> logger)
    : ICommandHandler<AnalyzeWithGeminiCommand, AnalyzeWithGeminiResult>
{
    /// <summary>
    /// Answers 503 before any call when no key is configured. Per-image failures are reported on the image;
    /// when every image failed, the first image's error is thrown so the whole request answers 502/503/504.
    /// </summary>
    public async ValueTask<AnalyzeWithGeminiResult> Handle(AnalyzeWithGeminiCommand command, CancellationToken cancellationToken)
    {
        if (!gateway.IsConfigured)
        {
            throw new ServiceUnavailableException("Gemini is not configured: set GOOGLE_API_KEY (configuration key Gemini:ApiKey) to use /gemini/analyze/.");
        }

        var prompt = command.Prompt ?? throw new ArgumentException("The command carries no prompt; validation should have refused it.", nameof(command));
        var schema = command.SchemaJson is null
            ? await ResponseSchema.DefaultAsync().ConfigureAwait(false)
            : await ResponseSchema.ParseAsync(command.SchemaJson, cancellationToken).ConfigureAwait(false);

        var started = Stopwatch.GetTimestamp();
        var results = new GeminiImageResult[command.Images.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, results.Length), parallel, async (index, token) =>
        {
            results[index] = await AnalyzeOneAsync(index, command.Images[index], prompt, schema, token).ConfigureAwait(false);
        }).ConfigureAwait(false);

        if (Array.TrueForAll(results, r => !r.Succeeded))
        {
            ExceptionDispatchInfo.Capture(results[0].Error!).Throw();
        }

        var usage = results.Select(r => r.Usage).OfType<GeminiUsage>().Aggregate((GeminiUsage?)null, (sum, u) => sum is null ? u : sum.Add(u));
        return new AnalyzeWithGeminiResult(prompt, gateway.Model, schema.IsDefault, results, GeminiGrouping.Group(results),
            Stopwatch.GetElapsedTime(started), usage);
    }

    private async Task<GeminiImageResult> AnalyzeOneAsync(int index, ImageUpload image, string prompt, ResponseSchema schema, CancellationToken cancellationToken)
    {
        var mediaType = ImageFormatSniffer.MediaTypeOf(image.DetectedFormat);
        var started = Stopwatch.GetTimestamp();
        var result = new GeminiImageResult(index, image.FileName, image.Length, mediaType, TimeSpan.Zero);
        GeminiAnswer? answer = null;
        try
        {
            answer = await gateway.GenerateAsync(new GeminiRequest(prompt, [new GeminiImage(mediaType, image.Content)], schema.Element), cancellationToken).ConfigureAwait(false);
            var parsed = ParseAnswer(answer.Text, schema, answer.FinishReason);
            return result with
            {
                Latency = Stopwatch.GetElapsedTime(started),
                Response = parsed,
                Label = GeminiGrouping.FindLabel(parsed),
                FinishReason = answer.FinishReason,
                Usage = answer.Usage,
                ModelVersion = answer.ModelVersion,
            };
        }
        catch (AtlasException ex)
        {
            logger.LogWarning("Gemini analysis of image {Index} ({FileName}) failed: {Reason}", index, image.FileName, ex.Message);
            return result with
            {
                Latency = Stopwatch.GetElapsedTime(started),
                FinishReason = answer?.FinishReason,
                Usage = answer?.Usage,
                ModelVersion = answer?.ModelVersion,
                Error = ex,
            };
        }
    }

    /// <summary>Parses Gemini's text as JSON and checks it against the schema; either failure is a bad answer (502).</summary>
    internal static JsonElement ParseAnswer(string text, ResponseSchema schema, string? finishReason = null)
    {
        JsonElement parsed;
        try
        {
            using var document = JsonDocument.Parse(text);
            parsed = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw finishReason == "MAX_TOKENS"
                ? new UpstreamException($"Gemini stopped at its output token limit (finishReason MAX_TOKENS) before the JSON answer was complete: \"{Snippet(text)}\". Ask for a shorter answer or a smaller schema.")
                : new UpstreamException($"Gemini answered text that is not JSON: \"{Snippet(text)}\".");
        }

        var violations = schema.Check(text);
        if (violations.Count > 0)
        {
            throw new UpstreamException($"Gemini's JSON answer does not follow the schema ({string.Join("; ", violations)}).");
        }
        return parsed;
    }

    private static string Snippet(string text)
    {
        const int max = 120;
        var oneLine = text.ReplaceLineEndings(" ").Trim();
        return oneLine.Length <= max ? oneLine : string.Concat(oneLine.AsSpan(0, max), "…");
    }
}
