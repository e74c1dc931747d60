using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.EndToEnd;

/// <summary>
/// Readiness with the real engine: while warm-up is held open (deterministically, by the host's warm-up gate),
/// /healthz is 503 and /uploadfile/ answers 503 + Retry-After; once warm-up completes both work.
/// </summary>
[TestFixture]
public sealed class ReadinessEndToEndTests
{
    [Test]
    public async Task UploadFile_BeforeWarmUpCompletes_Returns503WithRetryAfterThenServes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var factory = new AtlasApiFactory(EngineHarness.Settings(), mockClassifier: false, configureServices: services =>
            services.AddSingleton(sp =>
            {
                var host = ActivatorUtilities.CreateInstance<SpeciesNetHost>(sp);
                host.WarmUpGate = gate.Task;
                return host;
            }));
        using var client = factory.CreateHttpClient();
        var picture = TestImages.OpaqueSolid(1280, 960, DemoColours.Red.Rgb());

        try
        {
            using (var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative)))
            {
                Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(await health.Content.ReadAsStringAsync(), Does.Contain("Warming up"));
            }

            using (var upload = await EngineHarness.UploadAsync(client, picture))
            {
                await DemoBundleEndToEndTests.AssertProblemAsync(upload, HttpStatusCode.ServiceUnavailable, "not ready");
                Assert.That(upload.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            }
        }
        finally
        {
            gate.TrySetResult();
        }

        await factory.Services.GetRequiredService<SpeciesNetHost>().WhenWarm;

        using (var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var s = await EngineHarness.PredictAsync(client, picture);
        Assert.That(s.GetProperty("prediction").GetString(), Is.EqualTo(DemoLabels.Lion));
    }
}
