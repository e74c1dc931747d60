namespace Atlas.Api.Configuration;

/// <summary>
/// The seed service was configured with flat environment variables (<c>ALLOWED_ORIGINS</c>,
/// <c>GOOGLE_API_KEY</c>…). Existing deployments set them, so each one is mapped onto its .NET
/// configuration key here; the hierarchical keys (<c>Section__Key</c>, appsettings.json) keep working, and the
/// flat variable wins when both are set.
/// </summary>
public static class EnvironmentAliases
{
    /// <summary>Environment variable name -> configuration key.</summary>
    public static readonly IReadOnlyDictionary<string, string> Map = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SPECIESNET_MODEL_DIR"] = "SpeciesNet:ModelDir",
        ["SPECIESNET_GEOFENCE"] = "SpeciesNet:Geofence",
        ["INFERENCE_BATCH_WINDOW_MS"] = "SpeciesNet:BatchWindowMs",
        ["INFERENCE_MAX_BATCH_SIZE"] = "SpeciesNet:MaxBatchSize",
        ["SCALED_JPEG_DECODE"] = "SpeciesNet:ScaledDecode",
        ["ATLAS_EXECUTION_PROVIDER"] = "Onnx:ExecutionProvider",
        ["MAX_UPLOAD_BYTES"] = "Uploads:MaxFileBytes",
        ["MAX_IMAGE_PIXELS"] = "Uploads:MaxImagePixels",
        ["OVERSIZE_DRAIN_FACTOR"] = "Intake:OversizeDrainFactor",
        ["BATCH_MAX_IMAGES"] = "Batch:MaxImages",
        ["BATCH_MAX_REQUEST_BYTES"] = "Batch:MaxRequestBytes",
        ["GOOGLE_API_KEY"] = "Gemini:ApiKey",
        ["GEMINI_MODEL"] = "Gemini:Model",
        ["GEMINI_BASE_URL"] = "Gemini:BaseUrl",
        ["GEMINI_TIMEOUT_SECONDS"] = "Gemini:AttemptTimeoutSeconds",
        ["GEMINI_TOTAL_TIMEOUT_SECONDS"] = "Gemini:TotalTimeoutSeconds",
        ["GEMINI_MAX_RETRIES"] = "Gemini:MaxRetries",
        ["GEMINI_MAX_CONCURRENCY"] = "Gemini:MaxConcurrency",
        // Production hardening (the options classes in Security/, Observability/ObservabilityOptions.cs).
        ["ALLOWED_ORIGINS"] = "Security:AllowedOrigins",
        ["ALLOWED_HEADERS"] = "Security:AllowedHeaders",
        ["ALLOWED_HOSTS"] = "AllowedHosts",
        ["RATE_LIMIT_REQUESTS"] = "Security:RateLimitRequests",
        ["RATE_LIMIT_WINDOW_SECONDS"] = "Security:RateLimitWindowSeconds",
        ["GEMINI_RATE_LIMIT_REQUESTS"] = "Security:GeminiRateLimitRequests",
        ["GEMINI_RATE_LIMIT_WINDOW_SECONDS"] = "Security:GeminiRateLimitWindowSeconds",
        ["FORWARDED_HEADERS"] = "Security:ForwardedHeaders",
        ["KNOWN_PROXIES"] = "Security:KnownProxies",
        ["FORCE_HTTPS"] = "Security:ForceHttps",
        ["HTTPS_PORT"] = "Security:HttpsPort",
        ["ENABLE_API_DOCS"] = "Security:EnableApiDocs",
        ["ATLAS_API_KEYS"] = "Security:ApiKeys",
        ["METRICS_API_KEYS"] = "Security:MetricsApiKeys",
        ["MAX_CONCURRENT_INFERENCES"] = "Security:MaxConcurrentInferences",
        ["INFERENCE_QUEUE_LIMIT"] = "Security:InferenceQueueLimit",
        ["REQUEST_TIMEOUT_SECONDS"] = "Security:RequestTimeoutSeconds",
        ["INFERENCE_TIMEOUT_SECONDS"] = "Security:InferenceTimeoutSeconds",
        ["GEMINI_REQUEST_TIMEOUT_SECONDS"] = "Security:GeminiTimeoutSeconds",
        ["MAX_REQUEST_BODY_BYTES"] = "Security:MaxRequestBodyBytes",
        ["MAX_REQUEST_HEADERS_BYTES"] = "Security:MaxRequestHeadersBytes",
        ["MAX_REQUEST_HEADER_COUNT"] = "Security:MaxRequestHeaderCount",
        ["ENABLE_METRICS"] = "Observability:EnableMetrics",
        // Jobs (Application/Jobs/JobsOptions.cs).
        ["JOBS_DATA_DIR"] = "Jobs:DataDir",
        ["JOBS_RETENTION_HOURS"] = "Jobs:RetentionHours",
        ["JOBS_CHUNK_SIZE"] = "Jobs:ChunkSize",
        ["JOBS_WORKER_CONCURRENCY"] = "Jobs:WorkerConcurrency",
        ["JOBS_PREFETCH"] = "Jobs:Prefetch",
        ["JOBS_ROLE"] = "Jobs:Role",
        ["JOBS_BROKER"] = "Jobs:Broker",
        ["JOBS_STORE"] = "Jobs:Store",
        ["JOBS_POSTGRES"] = "Jobs:Postgres:ConnectionString",
        ["JOBS_POSTGRES_SCHEMA"] = "Jobs:Postgres:Schema",
        ["JOBS_RABBITMQ_URI"] = "Jobs:RabbitMq:Uri",
        ["JOBS_QUEUE"] = "Jobs:RabbitMq:Queue",
        ["JOBS_INPUT_ROOT"] = "Jobs:InputRoot",
        ["JOBS_MAX_IMAGES"] = "Jobs:MaxImages",
        ["JOBS_MAX_REQUEST_BYTES"] = "Jobs:MaxRequestBytes",
        ["JOBS_WEBHOOK_ATTEMPTS"] = "Jobs:WebhookAttempts",
    };

    private static readonly Dictionary<string, string> VariableByKey =
        Map.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The name to show for a configuration key: <c>VARIABLE (Section:Key)</c> when it has a variable, else the key.</summary>
    public static string NameOf(string key) =>
        VariableByKey.TryGetValue(key, out var variable) ? $"{variable} ({key})" : key;

    /// <summary>Adds the aliased variables that are set as an in-memory configuration source (last, so they win).</summary>
    public static IConfigurationBuilder AddEnvironmentAliases(this IConfigurationBuilder builder)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, key) in Map)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (value is not null) values[key] = value;
        }
        return builder.AddInMemoryCollection(values);
    }
}
