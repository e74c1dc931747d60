using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Api.Contracts;

/// <summary>Response of <c>POST /gemini/analyze/</c>: the groups, every image's outcome, and call metadata.</summary>
public sealed record GeminiAnalyzeResponse(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("groups")] IReadOnlyList<GeminiGroupResponse> Groups,
    [property: JsonPropertyName("images")] IReadOnlyList<GeminiImageResponse> Images,
    [property: JsonPropertyName("metadata")] GeminiMetadataResponse Metadata);

/// <summary>Images whose answers share a label (label null: one image whose answer has no label field).</summary>
public sealed record GeminiGroupResponse(
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("label_field")] string? LabelField,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("image_indexes")] IReadOnlyList<int> ImageIndexes,
    [property: JsonPropertyName("filenames")] IReadOnlyList<string> FileNames,
    [property: JsonPropertyName("responses")] IReadOnlyList<JsonElement> Responses);

/// <summary>One image, in request order: its parsed answer (status <c>ok</c>) or its error (status <c>error</c>).</summary>
public sealed record GeminiImageResponse(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("content_size")] long ContentSize,
    [property: JsonPropertyName("media_type")] string MediaType,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("response")] JsonElement? Response,
    [property: JsonPropertyName("finish_reason")] string? FinishReason,
    [property: JsonPropertyName("model_version")] string? ModelVersion,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("usage")] GeminiUsageResponse? Usage,
    [property: JsonPropertyName("error")] GeminiErrorResponse? Error);

/// <summary>Why one image has no answer, shaped like the ProblemDetails the whole request would get.</summary>
public sealed record GeminiErrorResponse(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("detail")] string Detail);

/// <summary>Token counts from Gemini's <c>usageMetadata</c> (null where it reported none).</summary>
public sealed record GeminiUsageResponse(
    [property: JsonPropertyName("prompt_token_count")] int? PromptTokenCount,
    [property: JsonPropertyName("candidates_token_count")] int? CandidatesTokenCount,
    [property: JsonPropertyName("thoughts_token_count")] int? ThoughtsTokenCount,
    [property: JsonPropertyName("total_token_count")] int? TotalTokenCount);

/// <summary>How the request was served.</summary>
public sealed record GeminiMetadataResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("strategy")] string Strategy,
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("image_count")] int ImageCount,
    [property: JsonPropertyName("succeeded")] int Succeeded,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("usage")] GeminiUsageResponse? Usage);
