using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>Starts Atlas with the REAL SpeciesNet engine (CPU, one bundle) and waits until it is warm.</summary>
internal static class EngineHarness
{
    /// <summary>Settings that run the real engine on the CPU (no CUDA probing), on the given bundle (null: embedded demo).</summary>
    public static Dictionary<string, string?> Settings(string? modelDir = null, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Onnx:ExecutionProvider"] = "Cpu",
            ["Onnx:IntraOpThreads"] = "2",
        };
        if (modelDir is not null) settings["SpeciesNet:ModelDir"] = modelDir;
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    /// <summary>Creates the factory, starts Kestrel and awaits warm-up; the caller disposes the factory.</summary>
    public static async Task<(AtlasApiFactory Factory, HttpClient Client)> StartAsync(string? modelDir = null)
    {
        var factory = new AtlasApiFactory(Settings(modelDir), mockClassifier: false);
        var client = factory.CreateHttpClient();
        var host = factory.Services.GetRequiredService<SpeciesNetHost>();
        await host.WhenWarm;
        Assert.That(host.Status.Ready, Is.True, $"engine not ready: {host.Status.Detail}");
        return (factory, client);
    }

    /// <summary>POSTs one image to /uploadfile/ with optional location fields.</summary>
    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] image, string contentType = "image/png", string fileName = "picture.png",
        string? country = null, string? admin1 = null)
    {
        using var form = Multipart.File(image, fileName, contentType);
        if (country is not null) form.With("country", country);
        if (admin1 is not null) form.With("admin1_region", admin1);
        return await client.PostAsync(new Uri("/uploadfile/", UriKind.Relative), form);
    }

    /// <summary>Uploads and returns the <c>speciesnet</c> object of a 200 answer.</summary>
    public static async Task<JsonElement> PredictAsync(HttpClient client, byte[] image, string contentType = "image/png", string fileName = "picture.png",
        string? country = null, string? admin1 = null)
    {
        using var response = await UploadAsync(client, image, contentType, fileName, country, admin1);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("speciesnet").Clone();
    }

    /// <summary>Checks the answer has every field of the contract with sane values (bboxes inside the image).</summary>
    public static void AssertWellFormed(JsonElement speciesNet)
    {
        Assert.That(speciesNet.GetProperty("failures").GetArrayLength(), Is.Zero, speciesNet.ToString());
        Assert.That(speciesNet.GetProperty("prediction").GetString()!.Split(';'), Has.Length.EqualTo(7));
        Assert.That(speciesNet.GetProperty("prediction_display_name").GetString(), Is.Not.Empty);
        Assert.That(speciesNet.GetProperty("prediction_score").GetDouble(), Is.InRange(0.0, 1.0 + 1e-6));
        Assert.That(speciesNet.GetProperty("prediction_source").GetString(), Does.StartWith("classifier").Or.EqualTo("detector"));
        Assert.That(speciesNet.GetProperty("model_version").GetString(), Is.Not.Empty);
        var top = speciesNet.GetProperty("top_classes");
        Assert.That(top.GetArrayLength(), Is.InRange(1, 5));
        var scores = top.EnumerateArray().Select(t => t.GetProperty("score").GetDouble()).ToArray();
        Assert.That(scores, Is.Ordered.Descending);
        Assert.That(speciesNet.GetProperty("classifications").GetProperty("classes").GetArrayLength(), Is.EqualTo(top.GetArrayLength()));
        foreach (var detection in speciesNet.GetProperty("detections").EnumerateArray())
        {
            Assert.That(detection.GetProperty("label").GetString(), Is.AnyOf("animal", "human", "vehicle"));
            Assert.That(detection.GetProperty("conf").GetDouble(), Is.InRange(0.01, 1.0));
            var bbox = detection.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.That(bbox, Has.Length.EqualTo(4));
            Assert.That(bbox, Has.All.InRange(0.0, 1.0));
            // cx, cy, w, h are float32 before xmin = cx - w/2 (spec 2.5), so the far edge may pass 1 by a float32 ulp.
            Assert.That(bbox[0] + bbox[2], Is.LessThanOrEqualTo(1.0 + 1e-6));
            Assert.That(bbox[1] + bbox[3], Is.LessThanOrEqualTo(1.0 + 1e-6));
        }
    }
}
