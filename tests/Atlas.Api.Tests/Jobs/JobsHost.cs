using System.Net;
using System.Text.Json;
using Atlas.Api.Tests.EndToEnd;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.Jobs;

/// <summary>
/// Starts Atlas with the real engine (embedded demo bundle, CPU) and the embedded job backends on a given data
/// folder, so a test can stop one host and start another on the same store; helpers to submit and poll jobs.
/// </summary>
internal static class JobsHost
{
    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "atlas-jobs-test-" + Guid.NewGuid().ToString("N"));

    public static async Task<(AtlasApiFactory Factory, HttpClient Client)> StartAsync(string dataDir, TimeSpan? delayPerImage = null, params (string Key, string Value)[] extra)
    {
        var settings = EngineHarness.Settings(null, [("Jobs:DataDir", dataDir), ("Jobs:RetryDelaySeconds", "0.1"), .. extra]);
        Action<IServiceCollection>? services = delayPerImage is { } delay
            ? s => s.AddSingleton<ISpeciesClassifier>(sp => new SlowClassifier(sp.GetRequiredService<SpeciesNetHost>(), delay))
            : null;
        var factory = new AtlasApiFactory(settings, mockClassifier: false, services);
        var client = factory.CreateHttpClient();
        var host = factory.Services.GetRequiredService<SpeciesNetHost>();
        await host.WhenWarm;
        Assert.That(host.Status.Ready, Is.True, $"engine not ready: {host.Status.Detail}");
        return (factory, client);
    }

    /// <summary>The shared reference images (sorted by name).</summary>
    public static List<(string Name, byte[] Bytes)> SharedImages()
    {
        var dir = Path.Combine(SharedData.RequireSpeciesNetDir(), "images");
        if (!Directory.Exists(dir)) Assert.Ignore($"Reference images {dir} are missing.");
        var images = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))).ToList();
        Assert.That(images, Has.Count.GreaterThanOrEqualTo(5), "the shared image folder should hold the reference images");
        return images;
    }

    public static MultipartFormDataContent Form(IEnumerable<(string Name, byte[] Bytes)> files, params (string Field, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, value) in fields) form.Add(new StringContent(value), field);
        foreach (var (name, bytes) in files) Multipart.AddFile(form, bytes, name, name.EndsWith(".txt", StringComparison.Ordinal) ? "text/plain" : "image/jpeg", "files");
        return form;
    }

    public static async Task<JsonElement> SubmitAsync(HttpClient client, HttpContent content, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/jobs", UriKind.Relative)) { Content = content };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body);
        using var json = JsonDocument.Parse(body);
        var id = json.RootElement.GetProperty("id").GetString();
        Assert.That(response.Headers.Location?.ToString(), Does.EndWith($"/v1/jobs/{id}"));
        return json.RootElement.Clone();
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.Clone();
    }

    /// <summary>Polls until the job leaves queued/running (or <paramref name="until"/> holds), failing after the timeout.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient client, string id, Func<JsonElement, bool>? until = null, double timeoutSeconds = 240)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var job = await GetAsync(client, id);
            var state = job.GetProperty("state").GetString();
            if (until is not null ? until(job) : state is not ("queued" or "running")) return job;
            if (DateTime.UtcNow > deadline) Assert.Fail($"job {id} did not finish in {timeoutSeconds} s: {job}");
            await Task.Delay(100);
        }
    }

    public static async Task<(HttpStatusCode Status, string Body, string? Type, string? JobState)> ResultsAsync(HttpClient client, string id, string? format = null)
    {
        using var response = await client.GetAsync(new Uri($"/v1/jobs/{id}/results" + (format is null ? "" : $"?format={format}"), UriKind.Relative));
        var state = response.Headers.TryGetValues("Job-State", out var values) ? values.FirstOrDefault() : null;
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType, state);
    }

    /// <summary>The real engine, slowed down per image so a test can stop a host in the middle of a job.</summary>
    private sealed class SlowClassifier(ISpeciesClassifier inner, TimeSpan delay) : ISpeciesClassifier
    {
        public ModelStatus Status => inner.Status;

        public async ValueTask<SpeciesNetPrediction> PredictAsync(ReadOnlyMemory<byte> image, GeoLocation location, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            return await inner.PredictAsync(image, location, cancellationToken);
        }

        public async ValueTask<ImageAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> image, GeoLocation location, AnalysisOptions options, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            return await inner.AnalyzeAsync(image, location, options, cancellationToken);
        }

        public SpeciesNetPrediction Combine(Classifications? classifications, IReadOnlyList<Detection>? detections, GeoLocation location) =>
            inner.Combine(classifications, detections, location);
    }
}
