using Atlas.Api.Configuration;
using Microsoft.Extensions.Configuration;

namespace Atlas.Api.Tests.Configuration;

[TestFixture]
public sealed class CoreSettingsTests
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
    public void ValidateCoreSettings_BadValue_ThrowsNamingTheVariable(string key, string value, string variable)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => With((key, value)).ValidateCoreSettings());
        Assert.That(ex!.Message, Does.Contain(variable).And.Contain(value));
    }

    [TestCase("SpeciesNet:Geofence", "off", "false")]
    [TestCase("SpeciesNet:Geofence", "YES", "true")]
    [TestCase("Onnx:ExecutionProvider", "GPU", "cuda")]
    [TestCase("Onnx:ExecutionProvider", "Cpu", "cpu")]
    [TestCase("Uploads:MaxFileBytes", " 1048576 ", "1048576")]
    [TestCase("SpeciesNet:BatchWindowMs", " 0 ", "0")]
    [TestCase("SpeciesNet:MaxBatchSize", "16", "16")]
    [TestCase("SpeciesNet:ScaledDecode", "on", "true")]
    [TestCase("SpeciesNet:ScaledDecode", "0", "false")]
    public void ValidateCoreSettings_AcceptedSpelling_IsRewrittenCanonically(string key, string value, string expected)
    {
        var configuration = With((key, value));
        configuration.ValidateCoreSettings();
        Assert.That(configuration[key], Is.EqualTo(expected));
    }

    [Test]
    public void ValidateCoreSettings_NothingSet_Passes() =>
        Assert.DoesNotThrow(() => With().ValidateCoreSettings());
}
