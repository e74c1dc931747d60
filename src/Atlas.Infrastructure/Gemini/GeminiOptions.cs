using System.ComponentModel.DataAnnotations;
using Atlas.Application.Configuration;

namespace Atlas.Infrastructure.Gemini;

/// <summary>
/// How Atlas reaches Gemini (configuration section <c>Gemini</c>; environment variables <c>GOOGLE_API_KEY</c>,
/// <c>GEMINI_MODEL</c>, <c>GEMINI_BASE_URL</c>… map onto it). Only <c>/gemini/analyze/</c> needs the key, so a
/// missing key is not a start-up error: that route answers 503 and <c>/healthz</c> reports <c>not_configured</c>.
/// </summary>
public sealed class GeminiOptions : IValidatableObject
{
    public const string SectionName = "Gemini";

    /// <summary>
    /// The default model: a stable (GA) Flash model. The seed's <c>gemini-1.5-flash</c> is shut down and the 2.5
    /// generation is retired, so a pinned current Flash is used; set <c>GEMINI_MODEL</c> to change it (for example
    /// to the moving alias <c>gemini-flash-latest</c>).
    /// </summary>
    public const string DefaultModel = "gemini-3.8-flash";

    /// <summary>The public Gemini API endpoint.</summary>
    public const string DefaultBaseUrl = "https://generativelanguage.googleapis.com/";

    /// <summary>Google AI Studio API key, sent in the <c>x-goog-api-key</c> header. Never logged.</summary>
    [Secret]
    public string? ApiKey { get; set; }

    /// <summary>Model id (with or without the <c>models/</c> prefix).</summary>
    [Required]
    [RegularExpression("^(models/)?[A-Za-z0-9][A-Za-z0-9._-]*$", ErrorMessage = "Gemini:Model must be a model id such as gemini-3.8-flash.")]
    public string Model { get; set; } = DefaultModel;

    /// <summary>Where the API lives; tests and proxies point it elsewhere.</summary>
    [Required]
    [HttpUrl]
    public Uri BaseUrl { get; set; } = new(DefaultBaseUrl);

    /// <summary>API version path segment.</summary>
    [Required]
    [RegularExpression("^v[0-9a-z]+$")]
    public string ApiVersion { get; set; } = "v1beta";

    /// <summary>Longest wait for one attempt (thinking models can take tens of seconds on large images).</summary>
    [Range(0.01, 3600)]
    public double AttemptTimeoutSeconds { get; set; } = 45;

    /// <summary>Deadline for one call including every retry and back-off.</summary>
    [Range(0.01, 3600)]
    public double TotalTimeoutSeconds { get; set; } = 120;

    /// <summary>Retries after the first attempt, on 408, 429, 5xx, timeouts and dropped connections.</summary>
    [Range(1, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First back-off delay; later ones grow exponentially, with jitter.</summary>
    [Range(0, 60)]
    public double RetryDelaySeconds { get; set; } = 1;

    /// <summary>
    /// A <c>Retry-After</c> up to this long is honoured by waiting and retrying; a longer one is not waited out:
    /// the caller gets 503 with that <c>Retry-After</c> at once.
    /// </summary>
    [Range(0, 3600)]
    public double MaxRetryAfterSeconds { get; set; } = 20;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>The model id without the <c>models/</c> prefix.</summary>
    public string ModelId => Model.StartsWith("models/", StringComparison.Ordinal) ? Model["models/".Length..] : Model;

    public TimeSpan AttemptTimeout => TimeSpan.FromSeconds(AttemptTimeoutSeconds);
    public TimeSpan TotalTimeout => TimeSpan.FromSeconds(TotalTimeoutSeconds);
    public TimeSpan RetryDelay => TimeSpan.FromSeconds(RetryDelaySeconds);
    public TimeSpan MaxRetryAfter => TimeSpan.FromSeconds(MaxRetryAfterSeconds);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TotalTimeoutSeconds <= AttemptTimeoutSeconds)
        {
            yield return new ValidationResult("Gemini:TotalTimeoutSeconds must be greater than Gemini:AttemptTimeoutSeconds.", [nameof(TotalTimeoutSeconds)]);
        }
    }
}
