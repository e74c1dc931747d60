using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.SpeciesNet;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using Serilog.Core;
using Serilog.Events;
using SkiaSharp;

namespace Atlas.Api.Tests.Reliability;

/// <summary>
/// Faults around the request path, over real HTTP: Gemini hanging, storming with 429s, failing with 500s and dropping
/// connections while other routes must keep answering (no thread-pool starvation), retries bounded per image; and
/// clients that disconnect mid-upload or mid-inference (the work is cancelled, nothing is logged at Error).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FaultTests
{
    private const string Key = "AIzaFAKE-fault-tests-key-0123456789";
    private static readonly byte[] Jpeg = TestImages.Solid(64, 48, SKColors.Olive);

    private FakeGeminiServer _gemini = null!;

    [OneTimeSetUp]
    public async Task StartGemini() => _gemini = await FakeGeminiServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopGemini() => await _gemini.DisposeAsync();

    [SetUp]
    public void ResetGemini() => _gemini.Reset();

    /// <summary>Collects every Serilog event the host writes (Serilog reads sinks from DI).</summary>
    private sealed class CapturedLogs : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);

        public string[] AtErrorOrAbove() => [.. Events.Where(e => e.Level >= LogEventLevel.Error).Select(e => e.RenderMessage() + " " + e.Exception)];
    }

    private (AtlasApiFactory Factory, CapturedLogs Logs) Start(params (string Key, string? Value)[] overrides)
    {
        var logs = new CapturedLogs();
        var settings = _gemini.Settings(Key, overrides.Select(o => KeyValuePair.Create(o.Key, o.Value)));
        var factory = new AtlasApiFactory(settings, configureServices: services => services.AddSingleton<ILogEventSink>(logs));
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns((ReadOnlyMemory<byte> _, GeoLocation location, CancellationToken _) => ValueTask.FromResult(Prediction(location)));
        return (factory, logs);
    }

    private static SpeciesNetPrediction Prediction(GeoLocation location) =>
        new([], location, new Classifications(["a;b;c;d;e;f;g"], [0.9]), [], "a;b;c;d;e;f;g", 0.9, "classifier", "test-model");

    private static MultipartFormDataContent GeminiForm(int images)
    {
        var content = new MultipartFormDataContent().With("prompt", "What animal is this?");
        for (var i = 0; i < images; i++)
        {
            // Distinct bytes per image so each Gemini call can be told apart.
            Multipart.AddFile(content, [.. Jpeg, (byte)i], $"img{i}.jpg", "image/jpeg", "files");
        }
        return content;
    }

    [Test]
    public async Task GeminiHangs_HealthzAndUploadsStillAnswerWhileEveryGeminiCallIsBlocked()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var success = FakeGeminiServer.Success("""{"category_label":"fox","description":"a fox","confidence":0.9}""");
        _gemini.Fallback = async context =>
        {
            await gate.Task.WaitAsync(context.RequestAborted);
            await success(context);
        };
        var (factory, logs) = Start(("Gemini:AttemptTimeoutSeconds", "60"), ("Gemini:TotalTimeoutSeconds", "120"), ("Gemini:MaxConcurrency", "4"));
        await using var _ = factory;
        using var client = factory.CreateHttpClient();

        // 24 requests x 3 images, all stuck in Gemini; more than the thread pool's minimum threads on a small machine.
        var gemini = Enumerable.Range(0, 24).Select(_ => client.PostAsync(new Uri("/gemini/analyze/", UriKind.Relative), GeminiForm(3))).ToArray();
        var waited = Stopwatch.StartNew();
        while (_gemini.Requests.Count < 24 && waited.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.That(_gemini.Requests, Has.Count.GreaterThanOrEqualTo(24), "the Gemini calls did not all start");

        for (var i = 0; i < 10; i++)
        {
            using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            using var upload = await client.PostAsync(new Uri("/uploadfile/", UriKind.Relative), Multipart.File(Jpeg));
            Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        }
        // Every other route was served while not one Gemini request had finished: nothing waits on the blocked calls.
        Assert.That(gemini.Count(t => t.IsCompleted), Is.Zero);

        gate.SetResult();
        var answers = await Task.WhenAll(gemini);
        Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        foreach (var answer in answers) answer.Dispose();
        Assert.That(logs.AtErrorOrAbove(), Is.Empty);
    }

    [Test]
    public async Task GeminiHangsForever_EveryRequestEndsWith504WithinItsDeadlineAndRetriesAreBounded()
    {
        _gemini.Fallback = FakeGeminiServer.Slow(TimeSpan.FromMinutes(5));
        var (factory, logs) = Start(("Gemini:AttemptTimeoutSeconds", "0.3"), ("Gemini:TotalTimeoutSeconds", "1.5"), ("Gemini:MaxRetries", "2"));
        await using var _ = factory;
        using var client = factory.CreateHttpClient();

        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsync(new Uri("/gemini/analyze/", UriKind.Relative), GeminiForm(2))));

        // The total deadline (1.5 s) bounds each call; a generous margin for a loaded machine, far below the 5-minute hang.
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
        foreach (var answer in answers)
        {
            await UploadContractTests.AssertProblem(answer, HttpStatusCode.GatewayTimeout, "did not answer within");
            answer.Dispose();
        }
        // 16 images, at most 1 + MaxRetries attempts each.
        Assert.That(_gemini.Requests, Has.Count.InRange(16, 16 * 3));
        Assert.That(logs.AtErrorOrAbove(), Is.Empty);
    }

    [Test]
    public async Task GeminiStormOf429s500sAndResets_RetriesBoundedPerImageStatusesMappedNeverA500()
    {
        var random = new Random(7);
        _gemini.Responder = _ =>
        {
            lock (random)
            {
                return random.Next(3) switch
                {
                    0 => FakeGeminiServer.Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retryAfter: "0"),
                    1 => FakeGeminiServer.Error(500, "INTERNAL", "An internal error has occurred."),
                    _ => FakeGeminiServer.Drop,
                };
            }
        };
        var (factory, logs) = Start(("Gemini:MaxRetries", "2"));
        await using var _ = factory;
        using var client = factory.CreateHttpClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync(new Uri("/gemini/analyze/", UriKind.Relative), GeminiForm(2))));

        foreach (var answer in answers)
        {
            Assert.That((int)answer.StatusCode, Is.AnyOf(502, 503), await answer.Content.ReadAsStringAsync());
            Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            answer.Dispose();
        }
        // 10 requests x 2 images, every call failing: each image tried exactly 1 + MaxRetries times, never more.
        Assert.That(_gemini.Requests, Has.Count.EqualTo(10 * 2 * 3));
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(logs.AtErrorOrAbove(), Is.Empty);
    }

    [Test]
    public async Task ClientDisconnectsMidInference_WorkCancelledAndNoErrorLogged()
    {
        var (factory, logs) = Start();
        await using var _ = factory;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns(async (ReadOnlyMemory<byte> _, GeoLocation location, CancellationToken token) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(2), token);
                }
                catch (OperationCanceledException)
                {
                    cancelled.TrySetResult();
                    throw;
                }
                return Prediction(location);
            });
        using var client = factory.CreateHttpClient();

        using var abort = new CancellationTokenSource();
        var request = client.PostAsync(new Uri("/uploadfile/", UriKind.Relative), Multipart.File(Jpeg), abort.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await abort.CancelAsync();
        Assert.That(async () => await request, Throws.InstanceOf<OperationCanceledException>());

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(300); // let the request pipeline finish logging
        Assert.That(logs.AtErrorOrAbove(), Is.Empty);
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task ClientDisconnectsMidUpload_NothingRunsAndNoErrorLogged(bool chunked)
    {
        var (factory, logs) = Start();
        await using var _ = factory;
        using var client = factory.CreateHttpClient();
        var body = HostileCorpus.Form([HostileCorpus.File(TestImages.Jpeg(640, 480), "image/jpeg")]);

        for (var i = 0; i < 5; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(client.BaseAddress!.Host, client.BaseAddress.Port);
            var stream = tcp.GetStream();
            var framing = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {body.Length}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /uploadfile/ HTTP/1.1\r\nHost: localhost\r\n{framing}\r\nContent-Type: multipart/form-data; boundary={HostileCorpus.Boundary}\r\n\r\n"));
            var half = body.Length / 2;
            if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{half:X}\r\n"));
            await stream.WriteAsync(body.AsMemory(0, half));
            await Task.Delay(100);
            tcp.Client.LingerState = new LingerOption(true, 0);
            tcp.Client.Close(); // RST
        }

        await Task.Delay(500);
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        factory.Classifier.Verify(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.That(logs.AtErrorOrAbove(), Is.Empty);
    }
}
