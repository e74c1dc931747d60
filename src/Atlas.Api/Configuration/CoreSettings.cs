using System.Globalization;

namespace Atlas.Api.Configuration;

/// <summary>
/// Checks the engine, upload and Gemini settings that other layers bind with the .NET configuration binder,
/// before the host is built, so a bad value stops the service with a message naming the environment variable
/// (<c>MAX_UPLOAD_BYTES (Uploads:MaxFileBytes) is '5MB', which is not a whole number…</c>) instead of a binder
/// error. Accepted spellings (booleans as yes/no/on/off/1/0, provider names in any case) are rewritten in their
/// canonical form, so the binder downstream always understands what this check accepted.
/// </summary>
public static class CoreSettings
{
    public static IConfigurationBuilder ValidateCoreSettings(this IConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var read = new SettingReader(configuration);
        var canonical = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

        void Long(string key, long min, long max)
        {
            if (read.Text(key) is null) return;
            canonical[key] = read.Long(key, 0, min, max).ToString(CultureInfo.InvariantCulture);
        }

        void Int(string key, int min, int max)
        {
            if (read.Text(key) is null) return;
            canonical[key] = read.Integer(key, 0, min, max).ToString(CultureInfo.InvariantCulture);
        }

        void Number(string key, double min, double max)
        {
            if (read.Text(key) is null) return;
            canonical[key] = read.Number(key, 0, min, max).ToString(CultureInfo.InvariantCulture);
        }

        void Bool(string key)
        {
            if (read.Text(key) is null) return;
            canonical[key] = read.Boolean(key, false) ? "true" : "false";
        }

        Long("Uploads:MaxFileBytes", 1, 512L * 1024 * 1024);
        Long("Uploads:MaxImagePixels", 1, 1_000_000_000);
        Bool("SpeciesNet:Geofence");
        Bool("SpeciesNet:WarmUp");
        Int("SpeciesNet:BatchWindowMs", 0, 1000);
        Int("SpeciesNet:MaxBatchSize", 1, 256);
        Bool("SpeciesNet:ScaledDecode");
        var provider = read.Choice("Onnx:ExecutionProvider", "auto", "cuda", "gpu", "cpu");
        if (provider is not null) canonical["Onnx:ExecutionProvider"] = provider == "gpu" ? "cuda" : provider;
        Int("Onnx:IntraOpThreads", 0, 1024);
        Int("Onnx:CudaDeviceId", 0, 64);
        Number("Gemini:AttemptTimeoutSeconds", 0.01, 3600);
        Number("Gemini:TotalTimeoutSeconds", 0.01, 3600);
        Int("Gemini:MaxRetries", 1, 10);
        Int("Gemini:MaxConcurrency", 1, 32);
        Long("MultiImageIntake:MaxRequestBytes", 1, 1L << 31);
        Number("Intake:OversizeDrainFactor", 0, 64);
        Number("Intake:DrainSeconds", 0.1, 600);
        Int("Batch:MaxImages", 1, 100_000);
        Long("Batch:MaxRequestBytes", 1, long.MaxValue);
        Int("Jobs:RetentionHours", 1, 24 * 366);
        Int("Jobs:ChunkSize", 1, 1024);
        Int("Jobs:WorkerConcurrency", 1, 256);
        Int("Jobs:Prefetch", 0, 4096);
        Int("Jobs:MaxImages", 1, 100_000_000);
        Long("Jobs:MaxRequestBytes", 1, long.MaxValue);
        Int("Jobs:MaxTaskAttempts", 1, 100);
        Number("Jobs:RetryDelaySeconds", 0, 3600);
        Int("Jobs:WebhookAttempts", 1, 20);
        Number("Jobs:RetentionSweepMinutes", 0.01, 24 * 60);
        void Choice(string key, IReadOnlyList<string> choices)
        {
            if (read.Choice(key, [.. choices]) is { } choice) canonical[key] = choice;
        }
        Choice("Jobs:Role", Application.Jobs.JobsOptions.Roles);
        Choice("Jobs:Broker", Application.Jobs.JobsOptions.Brokers);
        Choice("Jobs:Store", Application.Jobs.JobsOptions.Stores);
        if (read.Text("Jobs:InputRoot") is { } inputRoot && !Directory.Exists(inputRoot))
        {
            read.Error("Jobs:InputRoot", $"is '{inputRoot}', which is not an existing folder.");
        }

        var baseUrl = read.Text("Gemini:BaseUrl");
        if (baseUrl is not null && !(Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            read.Error("Gemini:BaseUrl", $"is '{baseUrl}', which is not an absolute http(s) URL.");
        }

        if (read.Errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid configuration: " + string.Join(" ", read.Errors));
        }

        return configuration.AddInMemoryCollection(canonical);
    }
}
