using System.ComponentModel.DataAnnotations;

namespace Atlas.Api.Security;

/// <summary>Per-client-IP rate limits (section <c>Security</c>), applied by <see cref="RateLimiting"/>.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Security";

    /// <summary>
    /// Requests per client IP per window on every route but the probes; 0 turns the limit off. The default (20/s)
    /// stops a runaway client without throttling a batch uploader: camera-trap clients send thousands of images,
    /// and the inference gate, not this limit, is what protects the models.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RateLimitRequests { get; set; } = 1200;

    [Range(1, 86_400)]
    public int RateLimitWindowSeconds { get; set; } = 60;

    /// <summary>The stricter per-client limit of the Gemini routes (each call costs money); 0 turns it off.</summary>
    [Range(0, 1_000_000)]
    public int GeminiRateLimitRequests { get; set; } = 60;

    [Range(1, 86_400)]
    public int GeminiRateLimitWindowSeconds { get; set; } = 60;
}

/// <summary>Request timeouts and Kestrel's request limits (section <c>Security</c>).</summary>
public sealed class RequestLimitsOptions
{
    public const string SectionName = "Security";

    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 30;

    [Range(1, 3600)]
    public int InferenceTimeoutSeconds { get; set; } = 120;

    [Range(1, 3600)]
    public int GeminiTimeoutSeconds { get; set; } = 300;

    /// <summary>Body limit of routes without their own (the upload routes set theirs from the upload limits).</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 100;
}
