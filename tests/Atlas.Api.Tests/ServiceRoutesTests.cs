using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Api.Tests;

[TestFixture]
public sealed class ServiceRoutesTests
{
    [Test]
    public async Task Root_ReturnsServiceModelAndRoutes()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.That(root.GetProperty("service").GetString(), Is.EqualTo("Atlas"));
        Assert.That(root.GetProperty("model_version").GetString(), Is.EqualTo("test-model"));
        Assert.That(root.GetProperty("model").GetProperty("execution_provider").GetString(), Is.EqualTo("CPUExecutionProvider"));
        var paths = root.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("path").GetString()).ToArray();
        Assert.That(paths, Is.SupersetOf(new[] { "/", "/healthz", "/uploadfile/", "/analyze/", "/gemini/analyze/" }));
    }

    [Test]
    public async Task Healthz_ModelReady_Returns200Ok()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/healthz");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
        var model = json.RootElement.GetProperty("checks").GetProperty("model");
        Assert.That(model.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(model.GetProperty("data").GetProperty("execution_provider").GetString(), Is.EqualTo("CPUExecutionProvider"));
    }

    [Test]
    public async Task Healthz_ModelNotReady_Returns503()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        factory.Classifier.SetupGet(c => c.Status).Returns(AtlasApiFactory.ReadyStatus with { Ready = false, Detail = "warming up" });

        using var response = await client.GetAsync("/healthz");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("unavailable"));
        Assert.That(json.RootElement.GetProperty("checks").GetProperty("model").GetProperty("data").GetProperty("detail").GetString(), Is.EqualTo("warming up"));
    }

    [Test]
    public async Task Root_DemoModel_CarriesWarning()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        factory.Classifier.SetupGet(c => c.Status).Returns(new ModelStatus("demo-untrained", "always_crop", true, "CPUExecutionProvider", true, null, "embedded demo bundle"));

        using var response = await client.GetAsync("/");

        var body = await response.Content.ReadAsStringAsync();
        Assert.That(body, Does.Contain("meaningless"));
        Assert.That(body, Does.Contain("demo-untrained"));
    }
}
