using Atlas.Api.Configuration;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Application.Images;
using Atlas.Infrastructure.Jobs.Postgres;
using Atlas.Infrastructure.Jobs.RabbitMq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Tests.Configuration;

[TestFixture]
public sealed class SettingsTests
{
    private static ConfigurationManager With(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        return configuration;
    }

    [TestCase("Uploads:MaxFileBytes", "5MB", "MAX_UPLOAD_BYTES")]
    [TestCase("Uploads:MaxImagePixels", "-1", "MAX_IMAGE_PIXELS")]
    [TestCase("SpeciesNet:Geofence", "maybe", "SPECIESNET_GEOFENCE")]
    [TestCase("Onnx:ExecutionProvider", "tpu", "ATLAS_EXECUTION_PROVIDER")]
    [TestCase("Gemini:MaxRetries", "many", "GEMINI_MAX_RETRIES")]
    [TestCase("Gemini:MaxRetries", "0", "GEMINI_MAX_RETRIES")]
    [TestCase("Gemini:MaxConcurrency", "33", "GEMINI_MAX_CONCURRENCY")]
    [TestCase("SpeciesNet:BatchWindowMs", "-1", "INFERENCE_BATCH_WINDOW_MS")]
    [TestCase("SpeciesNet:BatchWindowMs", "2ms", "INFERENCE_BATCH_WINDOW_MS")]
    [TestCase("SpeciesNet:MaxBatchSize", "0", "INFERENCE_MAX_BATCH_SIZE")]
    [TestCase("SpeciesNet:ScaledDecode", "fast", "SCALED_JPEG_DECODE")]
    [TestCase("Gemini:BaseUrl", "ftp://example.org", "GEMINI_BASE_URL")]
    [TestCase("Jobs:Store", "mysql", "JOBS_STORE")]
    [TestCase("Jobs:InputRoot", "/no/such/folder", "JOBS_INPUT_ROOT")]
    [TestCase("Security:InferenceQueueLimit", "-3", "INFERENCE_QUEUE_LIMIT")]
    public void Check_BadValue_ThrowsOneMessageNamingTheVariable(string key, string value, string variable)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => With((key, value)).CheckAtlasSettings());
        Assert.That(ex!.Message, Does.StartWith($"{variable} ({key}) is '{value}'"));
    }

    [TestCase("Uploads:MaxFileBytes", "5MB", "MAX_UPLOAD_BYTES (Uploads:MaxFileBytes) is '5MB', which is not a whole number between 1 and 536870912.")]
    [TestCase("Gemini:MaxRetries", "11", "GEMINI_MAX_RETRIES (Gemini:MaxRetries) is '11', which is not a whole number between 1 and 10.")]
    [TestCase("Intake:DrainSeconds", "0", "Intake:DrainSeconds is '0', which is not a number between 0.1 and 600.")]
    [TestCase("Security:ForceHttps", "sometimes", "FORCE_HTTPS (Security:ForceHttps) is 'sometimes', which is not a boolean (use true or false).")]
    [TestCase("Onnx:ExecutionProvider", "tpu", "ATLAS_EXECUTION_PROVIDER (Onnx:ExecutionProvider) is 'tpu'; expected one of: auto, cuda, cpu, gpu.")]
    [TestCase("Jobs:Role", "boss", "JOBS_ROLE (Jobs:Role) is 'boss'; expected one of: all, api, worker.")]
    [TestCase("Gemini:AttemptTimeoutSeconds", "200", "GEMINI_TOTAL_TIMEOUT_SECONDS (Gemini:TotalTimeoutSeconds) must be greater than GEMINI_TIMEOUT_SECONDS (Gemini:AttemptTimeoutSeconds).")]
    [TestCase("Gemini:BaseUrl", "not a url", "GEMINI_BASE_URL (Gemini:BaseUrl) is 'not a url', which is not an absolute http(s) URL.")]
    public void Check_BadValue_MessageInTheSeedsStyle(string key, string value, string message)
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => With((key, value)).CheckAtlasSettings());
        Assert.That(ex!.Message, Is.EqualTo(message));
    }

    [Test]
    public void Check_BadSecret_ValueNotQuoted()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() => With(("Jobs:RabbitMq:Uri", "amqp://user:s3cret@[bad")).CheckAtlasSettings());

        Assert.That(ex!.Message, Does.StartWith("JOBS_RABBITMQ_URI (Jobs:RabbitMq:Uri) is '***'").And.Not.Contain("s3cret"));
    }

    [Test]
    public void Check_SeveralMistakes_ReportsEachOnOneLine()
    {
        var ex = Assert.Throws<InvalidSettingsException>(() =>
            With(("Security:RateLimitRequests", "many"), ("Security:ForwardedHeaders", "maybe"), ("Jobs:ChunkSize", "0")).CheckAtlasSettings());

        Assert.That(ex!.Message, Does.Contain("RATE_LIMIT_REQUESTS").And.Contain("FORWARDED_HEADERS").And.Contain("JOBS_CHUNK_SIZE"));
        Assert.That(ex.Message, Does.Not.Contain('\n'));
    }

    [TestCase("SpeciesNet:Geofence", "off", "false")]
    [TestCase("SpeciesNet:Geofence", "YES", "true")]
    [TestCase("Security:ForceHttps", "1", "true")]
    [TestCase("Observability:EnableMetrics", "No", "false")]
    [TestCase("Onnx:ExecutionProvider", "GPU", "cuda")]
    [TestCase("Jobs:Broker", "RabbitMQ", "rabbitmq")]
    [TestCase("SpeciesNet:ScaledDecode", "on", "true")]
    [TestCase("SpeciesNet:ScaledDecode", "0", "false")]
    public void Check_AcceptedSpelling_IsRewrittenCanonically(string key, string value, string expected)
    {
        var configuration = With((key, value));
        configuration.CheckAtlasSettings();
        Assert.That(configuration[key], Is.EqualTo(expected));
    }

    [Test]
    public void Check_BlankNumber_CountsAsUnset()
    {
        var configuration = With(("Uploads:MaxFileBytes", " "), ("Uploads:MaxImagePixels", " 1048576 "));
        configuration.CheckAtlasSettings();

        var options = configuration.GetSection(UploadOptions.SectionName).Get<UploadOptions>()!;
        Assert.That(options.MaxFileBytes, Is.EqualTo(new UploadOptions().MaxFileBytes));
        Assert.That(options.MaxImagePixels, Is.EqualTo(1048576));
    }

    [Test]
    public void Check_NothingSet_Passes() =>
        Assert.DoesNotThrow(() => With().CheckAtlasSettings());

    [Test]
    public void AliasTable_EveryVariable_IsBoundByAnOptionsClass()
    {
        var keys = SettingsCatalog.Settings.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var unbound = EnvironmentAliases.Map.Where(a => !keys.Contains(a.Value)).Select(a => $"{a.Key} -> {a.Value}");

        Assert.That(unbound, Is.Empty, "every aliased key must be a property of an options class in SettingsCatalog.Bound");
    }

    [Test]
    public void AliasTable_EveryVariable_RoundTripsToItsProperty()
    {
        foreach (var (variable, key) in EnvironmentAliases.Map)
        {
            var setting = SettingsCatalog.Settings.First(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase));
            Assert.That(setting.Property.Name, Is.EqualTo(key[(key.LastIndexOf(':') + 1)..]), variable);
        }
    }

    [Test]
    public async Task Catalog_EveryOptionsClass_IsBoundToItsSectionByTheService()
    {
        // One setting per options class, set to a valid value other than its default, must arrive in IOptions<T>:
        // so each catalogued section is the one the service really binds.
        var conditional = new[] { typeof(PostgresJobStoreOptions), typeof(RabbitMqJobBrokerOptions) };
        var probes = SettingsCatalog.Bound.Where(b => !conditional.Contains(b.Options))
            .Select(b => Probe(SettingsCatalog.Settings.Where(s => s.Options == b.Options)))
            .OfType<(Setting Setting, object Value)>()
            .ToList();
        Assert.That(probes.Select(p => p.Setting.Options).Distinct().Count(), Is.GreaterThanOrEqualTo(15));

        await using var factory = new AtlasApiFactory(probes.ToDictionary(
            p => p.Setting.Key, p => (string?)Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)));
        using var client = factory.CreateHttpClient();

        foreach (var (setting, value) in probes)
        {
            var options = factory.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(setting.Options));
            var bound = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
            Assert.That(setting.Property.GetValue(bound), Is.EqualTo(value), setting.Key);
        }
    }

    /// <summary>A boolean flipped, else a ranged number at an end of its range that is not its default; null when the class has neither.</summary>
    private static (Setting, object)? Probe(IEnumerable<Setting> settings)
    {
        var list = settings.ToList();
        if (list.Count == 0) return null;
        var defaults = Activator.CreateInstance(list[0].Options)!;
        if (list.FirstOrDefault(s => s.ValueType == typeof(bool)) is { } flag)
        {
            return (flag, !(bool)flag.Property.GetValue(defaults)!);
        }
        foreach (var setting in list)
        {
            if (setting.Property.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RangeAttribute), false)
                    .FirstOrDefault() is not System.ComponentModel.DataAnnotations.RangeAttribute range) continue;
            var current = setting.Property.GetValue(defaults);
            foreach (var end in new[] { range.Minimum, range.Maximum })
            {
                var value = Convert.ChangeType(end, setting.ValueType, System.Globalization.CultureInfo.InvariantCulture);
                if (!Equals(value, current)) return (setting, value);
            }
        }
        return null;
    }

    [Test]
    public async Task Catalog_EveryOptionsClass_IsBoundByTheService()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        // The job backends' options are registered only when that backend is chosen.
        var conditional = new[] { typeof(PostgresJobStoreOptions), typeof(RabbitMqJobBrokerOptions) };

        foreach (var (options, _) in SettingsCatalog.Bound.Where(b => !conditional.Contains(b.Options)))
        {
            var configure = factory.Services.GetServices(typeof(IConfigureOptions<>).MakeGenericType(options));
            Assert.That(configure, Is.Not.Empty, $"{options.Name} is listed but not bound");
        }
    }
}
