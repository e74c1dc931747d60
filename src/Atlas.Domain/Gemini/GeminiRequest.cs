using System.Text.Json;

namespace Atlas.Domain.Gemini;

/// <summary>An image sent inline (base64) to Gemini.</summary>
/// <param name="MediaType">Its media type as Gemini expects it (<c>image/jpeg</c>, <c>image/png</c>, <c>image/webp</c>).</param>
/// <param name="Content">The encoded image bytes.</param>
public sealed record GeminiImage(string MediaType, ReadOnlyMemory<byte> Content);

/// <summary>One <c>generateContent</c> call: the images, then the prompt, answered as JSON matching the schema.</summary>
/// <param name="Prompt">The caller's instructions.</param>
/// <param name="Images">The images, in order.</param>
/// <param name="ResponseSchema">The JSON Schema the answer must follow (sent as <c>responseJsonSchema</c>).</param>
public sealed record GeminiRequest(string Prompt, IReadOnlyList<GeminiImage> Images, JsonElement ResponseSchema);
