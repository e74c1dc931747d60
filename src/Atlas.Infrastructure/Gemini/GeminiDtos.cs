using System.Text.Json;
using System.Text.Json.Serialization;

namespace Atlas.Infrastructure.Gemini;

// The generateContent wire format (REST, v1beta). Request field names follow Google's REST examples
// (inline_data / mime_type; generationConfig in camelCase); the API accepts either spelling.

internal sealed record GenerateContentRequest(
    [property: JsonPropertyName("contents")] IReadOnlyList<RequestContent> Contents,
    [property: JsonPropertyName("generationConfig")] GenerationConfig GenerationConfig);

internal sealed record RequestContent(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("parts")] IReadOnlyList<RequestPart> Parts);

internal sealed record RequestPart(
    [property: JsonPropertyName("text")] string? Text = null,
    [property: JsonPropertyName("inline_data")] InlineData? InlineData = null);

internal sealed record InlineData(
    [property: JsonPropertyName("mime_type")] string MimeType,
    [property: JsonPropertyName("data")] string Data);

internal sealed record GenerationConfig(
    [property: JsonPropertyName("responseMimeType")] string ResponseMimeType,
    [property: JsonPropertyName("responseJsonSchema")] JsonElement ResponseJsonSchema);

internal sealed record GenerateContentResponse(
    [property: JsonPropertyName("candidates")] IReadOnlyList<Candidate>? Candidates,
    [property: JsonPropertyName("promptFeedback")] PromptFeedback? PromptFeedback,
    [property: JsonPropertyName("usageMetadata")] UsageMetadata? UsageMetadata,
    [property: JsonPropertyName("modelVersion")] string? ModelVersion);

internal sealed record Candidate(
    [property: JsonPropertyName("content")] ResponseContent? Content,
    [property: JsonPropertyName("finishReason")] string? FinishReason);

internal sealed record ResponseContent(
    [property: JsonPropertyName("parts")] IReadOnlyList<ResponsePart>? Parts);

internal sealed record ResponsePart(
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("thought")] bool? Thought);

internal sealed record PromptFeedback(
    [property: JsonPropertyName("blockReason")] string? BlockReason);

internal sealed record UsageMetadata(
    [property: JsonPropertyName("promptTokenCount")] int? PromptTokenCount,
    [property: JsonPropertyName("candidatesTokenCount")] int? CandidatesTokenCount,
    [property: JsonPropertyName("thoughtsTokenCount")] int? ThoughtsTokenCount,
    [property: JsonPropertyName("totalTokenCount")] int? TotalTokenCount);

/// <summary>Google's error body: <c>{"error": {"code", "message", "status", "details"}}</c>.</summary>
internal sealed record ErrorEnvelope(
    [property: JsonPropertyName("error")] ErrorBody? Error);

internal sealed record ErrorBody(
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("details")] IReadOnlyList<JsonElement>? Details);

/// <summary>Source-generated (reflection-free) serialization of the wire format.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GenerateContentRequest))]
[JsonSerializable(typeof(GenerateContentResponse))]
[JsonSerializable(typeof(ErrorEnvelope))]
internal sealed partial class GeminiJsonContext : JsonSerializerContext;
