using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// The demo bundle written to disk (what <c>tools/Atlas.BundleTool demo --out DIR</c> does, through the same
/// <see cref="DemoBundle.WriteTo"/>) and loaded through <c>SPECIESNET_MODEL_DIR</c> by a started service is still
/// reported as a demo: in <c>/</c>, <c>/healthz</c>, <c>model_version</c> and the start-up warning.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WrittenDemoBundleTests
{
    [Test]
    public async Task Start_WrittenDemoBundleFolder_ReportsDemoEverywhere()
    {
        var directory = Path.Combine(Path.GetTempPath(), "atlas-written-demo-" + Guid.NewGuid().ToString("N"));
        DemoBundle.WriteTo(directory);
        try
        {
            using (var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, DemoBundle.InfoFile))))
            {
                Assert.That(info.RootElement.GetProperty("demo").GetBoolean(), Is.True, "info.json marks the bundle");
            }

            var url = $"http://127.0.0.1:{AtlasProcess.FreePort()}";
            await using var service = AtlasProcess.Start(new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = url,
                ["ATLAS_EXECUTION_PROVIDER"] = "cpu",
                ["SPECIESNET_MODEL_DIR"] = directory,
            });
            await service.WaitUntilServingAsync(new Uri(url));
            using var client = new HttpClient { BaseAddress = new Uri(url) };

            using var root = JsonDocument.Parse(await client.GetStringAsync(new Uri("/", UriKind.Relative)));
            var model = root.RootElement.GetProperty("model");
            Assert.That(model.GetProperty("demo").GetBoolean(), Is.True);
            Assert.That(model.GetProperty("source").GetString(), Is.EqualTo(Path.GetFullPath(directory)));
            Assert.That(model.GetProperty("warning").GetString(), Does.Contain("meaningless"));
            Assert.That(root.RootElement.GetProperty("model_version").GetString(), Is.EqualTo(DemoBundle.Version));

            using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
            var check = health.RootElement.GetProperty("checks").GetProperty("model");
            Assert.That(check.GetProperty("data").GetProperty("demo").GetBoolean(), Is.True);

            using var form = Multipart.File(TestImages.Solid(64, 48, SkiaSharp.SKColors.Gray), "grey.jpg", "image/jpeg");
            using var response = await client.PostAsync(new Uri("/uploadfile/", UriKind.Relative), form);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.That(answer.RootElement.GetProperty("speciesnet").GetProperty("model_version").GetString(), Is.EqualTo(DemoBundle.Version));

            Assert.That(service.Stdout, Does.Contain("DEMO BUNDLE").And.Contain("meaningless"), "the start-up warning");
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}
