namespace Atlas.Domain.Errors;

/// <summary>
/// Base of every error Atlas knows how to explain to a client. These are domain errors, not transport ones: the
/// API's exception handler (<c>AtlasExceptionHandler.StatusFor</c>, the only table) maps each subclass to one HTTP
/// status and a ProblemDetails body; <see cref="Exception.Message"/> is shown to the
/// client, so it must be actionable and must never contain secrets.
/// </summary>
public abstract class AtlasException : Exception
{
    protected AtlasException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Short, stable title for the ProblemDetails <c>title</c>.</summary>
    public abstract string Title { get; }
}

/// <summary>The upload is not an image Atlas can read (wrong media type or magic bytes).</summary>
public sealed class UnsupportedMediaTypeException(string message) : AtlasException(message)
{
    public override string Title => "Unsupported media type";
}

/// <summary>The bytes look like an image format but cannot be decoded.</summary>
public sealed class ImageDecodeException(string message, Exception? inner = null) : AtlasException(message, inner)
{
    public override string Title => "Image could not be decoded";
}

/// <summary>The image header announces more pixels than the configured limit (decompression bomb guard).</summary>
public sealed class ImageTooLargeException(string message) : AtlasException(message)
{
    public override string Title => "Image too large";
}

/// <summary>A body or file exceeds a configured byte limit.</summary>
public sealed class PayloadTooLargeException(string message) : AtlasException(message)
{
    public override string Title => "Payload too large";
}

/// <summary>A dependency (model, Gemini) is not configured or not ready.</summary>
public sealed class ServiceUnavailableException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : AtlasException(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public override string Title => "Service unavailable";
}

/// <summary>An upstream service answered with something unusable.</summary>
public sealed class UpstreamException(string message, Exception? inner = null) : AtlasException(message, inner)
{
    public override string Title => "Bad gateway";
}

/// <summary>An upstream service did not answer in time.</summary>
public sealed class UpstreamTimeoutException(string message, Exception? inner = null) : AtlasException(message, inner)
{
    public override string Title => "Gateway timeout";
}
