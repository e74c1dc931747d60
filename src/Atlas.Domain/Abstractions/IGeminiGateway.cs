using Atlas.Domain.Gemini;

namespace Atlas.Domain.Abstractions;

/// <summary>
/// Sends one multimodal prompt to Gemini's <c>generateContent</c> and returns its answer. Implemented in
/// Infrastructure as a typed HttpClient (no Gemini SDK is available); the application decides how many calls
/// to make and what the answer must look like.
/// </summary>
public interface IGeminiGateway
{
    /// <summary>Whether an API key is configured; without one every call fails with 503.</summary>
    bool IsConfigured { get; }

    /// <summary>The model calls go to (e.g. <c>gemini-3.8-flash</c>).</summary>
    string Model { get; }

    /// <summary>
    /// Calls Gemini once (the transport may retry transient failures). Throws
    /// <see cref="Errors.ServiceUnavailableException"/> when not configured, rate-limited or overloaded,
    /// <see cref="Errors.UpstreamTimeoutException"/> when no answer came in time, and
    /// <see cref="Errors.UpstreamException"/> for any other unusable answer. Messages never contain the key.
    /// </summary>
    Task<GeminiAnswer> GenerateAsync(GeminiRequest request, CancellationToken cancellationToken);
}
