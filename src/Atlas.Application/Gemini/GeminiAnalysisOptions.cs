using System.ComponentModel.DataAnnotations;

namespace Atlas.Application.Gemini;

/// <summary>
/// Limits of the Gemini analysis use case (configuration section <c>Gemini</c>, shared with the transport
/// settings that Infrastructure binds: each class reads only its own keys).
/// </summary>
public sealed class GeminiAnalysisOptions
{
    public const string SectionName = "Gemini";

    /// <summary>Most images in one request.</summary>
    [Range(1, 100)]
    public int MaxImages { get; set; } = 20;

    /// <summary>Gemini calls in flight at once for one request (one call per image).</summary>
    [Range(1, 32)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Largest request Atlas sends to Gemini, in bytes, counting the base64-encoded image, the prompt and the
    /// schema. Gemini refuses inline requests above about 20 MB, so the default is 20 MB.
    /// </summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBytes { get; set; } = 20L * 1024 * 1024;
}
