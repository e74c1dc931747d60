using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Atlas.Api.Observability;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace Atlas.Api.Tests.Security;

/// <summary>Liveness, Prometheus metrics and structured logs.</summary>
[TestFixture]
public sealed class ObservabilityTests
{
    [Test]
    public async Task Livez_Always200()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        factory.Classifier.SetupGet(c => c.Status).Returns(AtlasApiFactory.ReadyStatus with { Ready = false });

        using var live = await client.GetAsync("/livez");
        using var ready = await client.GetAsync("/healthz");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "readiness fails while the model warms up");
        using var json = JsonDocument.Parse(await live.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("alive"));
    }

    [Test]
    public async Task Metrics_Default_ExposeRequestsStagesQueueAndProvider()
    {
        await using var factory = new AtlasApiFactory().AnswerAll();
        using var client = factory.CreateHttpClient();
        using (await client.UploadAsync()) { }
        using (await client.GetAsync("/no-such-route")) { }
        var stages = factory.Services.GetRequiredService<IInferenceMetrics>();
        stages.RecordStage(InferenceStage.Detect, TimeSpan.FromMilliseconds(12));
        stages.RecordStage(InferenceStage.Classify, TimeSpan.FromMilliseconds(30));

        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var lines = text.Split('\n');
        Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith("http_request_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("code=\"200\"", StringComparison.Ordinal) && l.Contains("uploadfile", StringComparison.Ordinal)));
        Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith("http_requests_received_total{", StringComparison.Ordinal) && l.Contains("code=\"404\"", StringComparison.Ordinal)));
        Assert.That(lines, Has.Some.EqualTo("atlas_inference_stage_duration_seconds_count{stage=\"detect\"} 1"));
        Assert.That(lines, Has.Some.EqualTo("atlas_inference_stage_duration_seconds_count{stage=\"classify\"} 1"));
        Assert.That(lines, Has.Some.EqualTo("atlas_execution_provider_info{provider=\"CPUExecutionProvider\"} 1"));
        Assert.That(lines, Has.Some.EqualTo("atlas_inference_queue_depth 0"));
        Assert.That(lines, Has.Some.EqualTo("atlas_model_ready 1"));
    }

    [Test]
    public async Task Metrics_ErrorAnsweredByTheExceptionHandler_CountedUnderItsRealStatusAndRoute()
    {
        await using var factory = new AtlasApiFactory().AnswerAll();
        using var client = factory.CreateHttpClient();
        var garbage = new MultipartFormDataContent();
        var part = new ByteArrayContent("this is not a png at all"u8.ToArray());
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        garbage.Add(part, "file", "x.png");
        using (var refused = await client.PostAsync("/uploadfile/", garbage))
        {
            Assert.That((int)refused.StatusCode, Is.EqualTo(415));
        }

        var lines = (await client.GetStringAsync("/metrics")).Split('\n');

        Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith("http_requests_received_total{", StringComparison.Ordinal)
            && l.Contains("code=\"415\"", StringComparison.Ordinal) && l.Contains("action=\"UploadFile\"", StringComparison.Ordinal)));
        Assert.That(lines, Has.None.Matches<string>(l => l.StartsWith("http_requests_received_total{", StringComparison.Ordinal)
            && l.Contains("code=\"200\"", StringComparison.Ordinal) && l.Contains("action=\"UploadFile\"", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Metrics_OneRouteCalledEveryWay_IsOneEndpointSeries()
    {
        await using var factory = new AtlasApiFactory().AnswerAll();
        using var client = factory.CreateHttpClient();
        foreach (var path in new[] { "/uploadfile/", "/uploadfile" })
        {
            using (await client.UploadAsync(path: path)) { }
            using var text = new MultipartFormDataContent();
            text.Add(new ByteArrayContent("not an image"u8.ToArray()), "file", "x.txt");
            using (await client.PostAsync(path, text)) { } // 415, answered through the exception handler
        }
        foreach (var path in new[] { "/healthz", "/healthz/", "/", "/livez", "/livez/" })
        {
            using (await client.GetAsync(path)) { }
            using (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path))) { }
        }
        using (await client.GetAsync("/no-such-route")) { }

        var series = (await client.GetStringAsync("/metrics")).Split('\n')
            .Where(l => l.StartsWith("http_requests_received_total{", StringComparison.Ordinal))
            .Select(l => (Endpoint: System.Text.RegularExpressions.Regex.Match(l, "endpoint=\"([^\"]*)\"").Groups[1].Value, Line: l))
            .ToList();

        Assert.That(series.Select(s => s.Endpoint).Distinct(), Is.EquivalentTo(new[] { "/uploadfile", "/healthz", "/", "/livez", "" }), string.Join("\n", series.Select(s => s.Line)));
        Assert.That(series.Where(s => s.Line.Contains("action=\"UploadFile\"", StringComparison.Ordinal)).Select(s => s.Endpoint), Has.All.EqualTo("/uploadfile"));
        Assert.That(series.Single(s => s.Line.Contains("code=\"415\"", StringComparison.Ordinal)).Line, Does.EndWith(" 2"), "both spellings in one series");
        Assert.That(series.Single(s => s.Endpoint == "/healthz" && s.Line.Contains("method=\"GET\"", StringComparison.Ordinal)).Line, Does.EndWith(" 2"));
        Assert.That(series.Single(s => s.Endpoint == "/livez" && s.Line.Contains("method=\"HEAD\"", StringComparison.Ordinal)).Line, Does.EndWith(" 2"));
        Assert.That(series.Single(s => s.Endpoint == "").Line, Does.Contain("code=\"404\""), "only an unmatched route has no endpoint");
    }

    [Test]
    public async Task Metrics_ProviderChanges_OldSeriesRemoved()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        using (await client.GetAsync("/metrics")) { }
        factory.Classifier.SetupGet(c => c.Status).Returns(AtlasApiFactory.ReadyStatus with { ExecutionProvider = "CUDAExecutionProvider" });

        var text = await client.GetStringAsync("/metrics");

        Assert.That(text, Does.Contain("atlas_execution_provider_info{provider=\"CUDAExecutionProvider\"} 1"));
        Assert.That(text, Does.Not.Contain("provider=\"CPUExecutionProvider\""));
    }

    [Test]
    public async Task Metrics_TwoHostsInOneProcess_DoNotShareValues()
    {
        await using var first = new AtlasApiFactory();
        await using var second = new AtlasApiFactory();
        using var firstClient = first.CreateHttpClient();
        using var secondClient = second.CreateHttpClient();
        second.Classifier.SetupGet(c => c.Status).Returns(AtlasApiFactory.ReadyStatus with { Ready = false, ExecutionProvider = "CUDAExecutionProvider" });
        var stages = first.Services.GetRequiredService<IInferenceMetrics>();
        for (var i = 0; i < 3; i++) stages.RecordStage(InferenceStage.Detect, TimeSpan.FromMilliseconds(5));

        var firstLines = (await firstClient.GetStringAsync("/metrics")).Split('\n');
        var secondLines = (await secondClient.GetStringAsync("/metrics")).Split('\n');

        Assert.That(first.Services.GetRequiredService<AtlasMeter>().Meter, Is.Not.SameAs(second.Services.GetRequiredService<AtlasMeter>().Meter));
        Assert.That(firstLines, Has.Some.EqualTo("atlas_inference_stage_duration_seconds_count{stage=\"detect\"} 3"));
        Assert.That(secondLines, Has.None.StartsWith("atlas_inference_stage_duration_seconds_count{"), "the second host recorded nothing");
        Assert.That(firstLines, Has.Some.EqualTo("atlas_model_ready 1").And.Some.EqualTo("atlas_execution_provider_info{provider=\"CPUExecutionProvider\"} 1"));
        Assert.That(secondLines, Has.Some.EqualTo("atlas_model_ready 0").And.Some.EqualTo("atlas_execution_provider_info{provider=\"CUDAExecutionProvider\"} 1"));
        Assert.That(secondLines, Has.None.Contains("CPUExecutionProvider"));
    }

    [Test]
    public async Task Meter_ObservableWithAMeterListener()
    {
        await using var factory = new AtlasApiFactory();
        using var client = factory.CreateHttpClient();
        await using var other = new AtlasApiFactory();
        using var otherClient = other.CreateHttpClient();
        var meter = factory.Services.GetRequiredService<AtlasMeter>().Meter;
        var measurements = new List<(string Instrument, double Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Render(tags))));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Render(tags))));
        listener.Start();

        factory.Services.GetRequiredService<IInferenceMetrics>().RecordStage(InferenceStage.Classify, TimeSpan.FromMilliseconds(250));
        other.Services.GetRequiredService<IInferenceMetrics>().RecordStage(InferenceStage.Decode, TimeSpan.FromMilliseconds(1));
        listener.RecordObservableInstruments();

        Assert.That(meter.Name, Is.EqualTo(AtlasMeter.MeterName));
        Assert.That(measurements, Is.EquivalentTo(new[]
        {
            (AtlasMeter.StageDurationName, 0.25, "stage=classify"),
            (AtlasMeter.QueueDepthName, 0d, ""),
            (AtlasMeter.InFlightName, 0d, ""),
            (AtlasMeter.ExecutionProviderName, 1d, "provider=CPUExecutionProvider"),
            (AtlasMeter.ModelReadyName, 1d, ""),
        }), "this host's meter only, the other host's decode is not seen");
        Assert.That(factory.Services.GetRequiredService<AtlasMeter>().StageDuration.Unit, Is.EqualTo("s"));
    }

    private static string Render(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags) parts.Add($"{tag.Key}={tag.Value}");
        return string.Join(",", parts);
    }

    [Test]
    public async Task Metrics_Disabled_NotServed()
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { ["Observability:EnableMetrics"] = "false" });
        using var client = factory.CreateHttpClient();

        using var response = await client.GetAsync("/metrics");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Logs_EveryRequestLine_CarriesRequestAndTraceIdsButNoKey()
    {
        var sink = new CapturingSink();
        await using var factory = new AtlasApiFactory(
            new Dictionary<string, string?> { ["Security:ApiKeys"] = SecurityKit.GoodKey },
            configureServices: s => s.AddSingleton<ILogEventSink>(sink)).AnswerAll();
        using var client = factory.CreateHttpClient();

        using (await client.UploadAsync(SecurityKit.GoodKey)) { }
        using (await client.UploadAsync(SecurityKit.OtherKey)) { }
        using (await client.UploadAsync()) { }

        var requestEvents = sink.Events.Where(e => e.Properties.ContainsKey("RequestPath") || e.Properties.ContainsKey("RequestId")).ToList();
        Assert.That(requestEvents.Count(e => e.MessageTemplate.Text.StartsWith("HTTP ", StringComparison.Ordinal)), Is.EqualTo(3), "one summary line per request");
        Assert.That(requestEvents.Where(e => e.MessageTemplate.Text.Contains("API key", StringComparison.Ordinal)).Select(e => e.Level.ToString()),
            Is.EquivalentTo(new[] { "Warning", "Information" }), "refusals are client mistakes: Information/Warning");
        foreach (var e in requestEvents)
        {
            Assert.That(e.Properties.ContainsKey("RequestId"), Is.True, e.MessageTemplate.Text);
            Assert.That(e.TraceId, Is.Not.Null, e.MessageTemplate.Text);
            Assert.That(e.SpanId, Is.Not.Null, e.MessageTemplate.Text);
        }
        using var rendered = new StringWriter();
        var formatter = new Serilog.Formatting.Compact.CompactJsonFormatter();
        foreach (var e in sink.Events) formatter.Format(e, rendered);
        Assert.That(rendered.ToString(), Does.Not.Contain(SecurityKit.GoodKey).And.Not.Contain(SecurityKit.OtherKey));
    }
}
