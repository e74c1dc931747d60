using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Atlas.Api.Tests.Batch;
using Atlas.Api.Tests.Infrastructure;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;

namespace Atlas.Api.Tests.Jobs;

/// <summary>
/// <c>/v1/jobs</c> over real HTTP on the embedded default (SQLite store and staging in a temporary data folder,
/// in-process queue and workers, the real engine on the demo bundle): every image of ../shared/speciesnet/images plus
/// a broken file polled to completion, the results in all three formats checked by the batch tests' strict
/// validators, idempotent resubmission, zip and tar.gz archives, paths under JOBS_INPUT_ROOT (escapes refused),
/// cancel, listing, errors.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class JobsRouteTests
{
    private static readonly byte[] Broken = Encoding.UTF8.GetBytes("this is not a JPEG\n");

    private string _dataDir = null!;
    private string _inputRoot = null!;
    private string _outside = null!;
    private AtlasApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dataDir = JobsHost.NewDataDir();
        _inputRoot = Path.Combine(_dataDir + "-input", "root");
        _outside = Path.Combine(_dataDir + "-input", "outside");
        Directory.CreateDirectory(Path.Combine(_inputRoot, "camera1"));
        Directory.CreateDirectory(_outside);
        await File.WriteAllBytesAsync(Path.Combine(_outside, "secret.jpg"), Broken);
        (_factory, _client) = await JobsHost.StartAsync(_dataDir, null, ("Jobs:InputRoot", _inputRoot));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        foreach (var dir in new[] { _dataDir, _dataDir + "-input" })
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // left to the OS
            }
        }
    }

    private static List<(string Name, byte[] Bytes)> SeasonWithBrokenFile()
    {
        var images = JobsHost.SharedImages();
        images.Insert(images.Count / 2, ("broken.jpg", Broken));
        return images;
    }

    [Test]
    public async Task SharedImagesPlusBrokenFile_CompletesWithOneResultEach_InEveryFormat()
    {
        var season = SeasonWithBrokenFile();
        using var form = JobsHost.Form(season, ("country", "KEN"));
        var submitted = await JobsHost.SubmitAsync(_client, form);
        var id = submitted.GetProperty("id").GetString()!;
        Assert.That(submitted.GetProperty("state").GetString(), Is.AnyOf("queued", "running", "completed"));
        Assert.That(submitted.GetProperty("total").GetInt32(), Is.EqualTo(season.Count));

        var job = await JobsHost.WaitAsync(_client, id);
        Assert.Multiple(() =>
        {
            Assert.That(job.GetProperty("state").GetString(), Is.EqualTo("completed"), job.ToString());
            Assert.That(job.GetProperty("done").GetInt32(), Is.EqualTo(season.Count));
            Assert.That(job.GetProperty("failed").GetInt32(), Is.InRange(1, 2), "the broken file (and possibly the truncated reference image)");
            Assert.That(job.GetProperty("images_per_second").GetDouble(), Is.GreaterThan(0));
            Assert.That(job.GetProperty("finished_at").GetString(), Is.Not.Null);
        });

        var (status, body, type, state) = await JobsHost.ResultsAsync(_client, id);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That((type, state), Is.EqualTo(("application/json", "completed")));
        using (var json = JsonDocument.Parse(body))
        {
            Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
            var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
            Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(season.Select(s => s.Name)));
            var broken = entries.Single(e => e.GetProperty("filepath").GetString() == "broken.jpg");
            Assert.That(broken.GetProperty("failures").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "CLASSIFIER", "DETECTOR" }));
            Assert.That(broken.GetProperty("error").GetString(), Does.Contain("broken.jpg"));
            var elephant = entries.Single(e => e.GetProperty("filepath").GetString() == "african_elephants.jpg");
            Assert.That(elephant.GetProperty("country").GetString(), Is.EqualTo("KEN"));
            Assert.That(elephant.GetProperty("prediction").GetString()!.Split(';'), Has.Length.EqualTo(7));
        }

        (status, body, type, _) = await JobsHost.ResultsAsync(_client, id, "megadetector");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.That(FormatValidators.MegaDetector(json.RootElement), Is.Empty, body);
            Assert.That(json.RootElement.GetProperty("images").GetArrayLength(), Is.EqualTo(season.Count));
        }

        (status, body, type, _) = await JobsHost.ResultsAsync(_client, id, "csv");
        Assert.That((status, type), Is.EqualTo((HttpStatusCode.OK, "text/csv")), body);
        var rows = FormatValidators.Csv(body);
        Assert.That(rows.Skip(1).Select(r => r[0]), Is.EqualTo(season.Select(s => s.Name)));
        Assert.That(rows, Has.All.Length.EqualTo(12));

        using var list = await _client.GetAsync(new Uri("/v1/jobs?limit=100", UriKind.Relative));
        using var listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.That(listed.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()), Does.Contain(id));
    }

    [Test]
    public async Task IdempotencyKey_ResubmissionAnswersTheSameJob()
    {
        var images = JobsHost.SharedImages().Take(2).ToList();
        var key = "season-" + Guid.NewGuid().ToString("N");
        using var first = JobsHost.Form(images);
        var job = await JobsHost.SubmitAsync(_client, first, key);
        using var second = JobsHost.Form(images);
        var again = await JobsHost.SubmitAsync(_client, second, key);
        using var third = JobsHost.Form(images);
        var other = await JobsHost.SubmitAsync(_client, third, key + "-other");

        Assert.That(again.GetProperty("id").GetString(), Is.EqualTo(job.GetProperty("id").GetString()));
        Assert.That(other.GetProperty("id").GetString(), Is.Not.EqualTo(job.GetProperty("id").GetString()));
        var done = await JobsHost.WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.That(done.GetProperty("done").GetInt32(), Is.EqualTo(2));
        Assert.That(Directory.Exists(Path.Combine(_dataDir, "staging", again.GetProperty("id").GetString()!)), Is.True);
    }

    [Test]
    public async Task Webhook_ReceivesTheFinalState_AfterAFailedCall()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var bodies = new List<string>();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = Task.Run(async () =>
        {
            while (!received.Task.IsCompleted)
            {
                var context = await listener.GetContextAsync();
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                bodies.Add(body);
                // The first call fails: the notifier must try again.
                context.Response.StatusCode = bodies.Count == 1 ? 503 : 204;
                context.Response.Close();
                if (bodies.Count > 1) received.TrySetResult(body);
            }
        });

        using var form = JobsHost.Form(JobsHost.SharedImages().Take(2), ("webhook_url", $"http://127.0.0.1:{port}/hooks/done"));
        var id = (await JobsHost.SubmitAsync(_client, form)).GetProperty("id").GetString()!;
        await JobsHost.WaitAsync(_client, id);
        var delivered = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using var json = JsonDocument.Parse(delivered);
        Assert.That(json.RootElement.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(json.RootElement.GetProperty("state").GetString(), Is.EqualTo("completed"));
        Assert.That(json.RootElement.GetProperty("done").GetInt32(), Is.EqualTo(2));
        Assert.That(bodies, Has.Count.EqualTo(2));
        listener.Stop();
        await Task.WhenAny(server, Task.Delay(1000));
    }

    [Test]
    public async Task ZipAndTarGzArchives_EachEntryIsAnImage()
    {
        var images = JobsHost.SharedImages().Take(3).ToList();
        byte[] zip, tarGz;
        using (var buffer = new MemoryStream())
        {
            using (var writer = new ZipOutputStream(buffer) { IsStreamOwner = false })
            {
                foreach (var (name, bytes) in images)
                {
                    writer.PutNextEntry(new ZipEntry("cam1/" + name));
                    writer.Write(bytes);
                }
                writer.PutNextEntry(new ZipEntry("cam1/broken.jpg"));
                writer.Write(Broken);
                writer.PutNextEntry(new ZipEntry("__MACOSX/cam1/._x.jpg"));
                writer.Write([1, 2, 3]);
            }
            zip = buffer.ToArray();
        }
        using (var buffer = new MemoryStream())
        {
            using (var gzip = new GZipOutputStream(buffer) { IsStreamOwner = false })
            using (var tar = new TarOutputStream(gzip, Encoding.UTF8) { IsStreamOwner = false })
            {
                foreach (var (name, bytes) in images)
                {
                    var entry = TarEntry.CreateTarEntry("cam2/" + name);
                    entry.Size = bytes.Length;
                    tar.PutNextEntry(entry);
                    tar.Write(bytes);
                    tar.CloseEntry();
                }
            }
            tarGz = buffer.ToArray();
        }

        using var form = new MultipartFormDataContent();
        Multipart.AddFile(form, zip, "season.zip", "application/zip", "files");
        Multipart.AddFile(form, tarGz, "more.tar.gz", "application/gzip", "files");
        Multipart.AddFile(form, images[0].Bytes, "loose.jpg", "image/jpeg", "files");
        var job = await JobsHost.SubmitAsync(_client, form);
        var id = job.GetProperty("id").GetString()!;
        var done = await JobsHost.WaitAsync(_client, id);

        Assert.That(done.GetProperty("state").GetString(), Is.EqualTo("completed"));
        var expected = images.Select(i => "cam1/" + i.Name).Append("cam1/broken.jpg").Concat(images.Select(i => "cam2/" + i.Name)).Append("loose.jpg").ToList();
        var (_, body, _, _) = await JobsHost.ResultsAsync(_client, id);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        Assert.That(json.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(expected));
        Assert.That(done.GetProperty("failed").GetInt32(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task Paths_UnderInputRoot_Run_EscapesRefused()
    {
        var images = JobsHost.SharedImages().Take(3).ToList();
        foreach (var (name, bytes) in images) await File.WriteAllBytesAsync(Path.Combine(_inputRoot, "camera1", name), bytes);
        var link = Path.Combine(_inputRoot, "escape");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, _outside);
        var fileLink = Path.Combine(_inputRoot, "camera1-link.jpg");
        if (!File.Exists(fileLink)) File.CreateSymbolicLink(fileLink, Path.Combine(_outside, "secret.jpg"));

        foreach (var bad in new[] { "../outside/secret.jpg", _outside + "/secret.jpg", "escape/secret.jpg", "camera1-link.jpg", "missing.jpg" })
        {
            using var refused = await _client.PostAsync(new Uri("/v1/jobs", UriKind.Relative), Json(new { paths = new[] { bad } }));
            var problem = await refused.Content.ReadAsStringAsync();
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), bad + ": " + problem);
            Assert.That(problem, Does.Contain("paths[0]"), bad);
            Assert.That(problem, Does.Not.Contain("not a JPEG"), bad);
        }

        var job = await JobsHost.SubmitAsync(_client, Json(new { paths = new[] { "camera1/" }, country = "USA", admin1_region = "CA" }));
        var id = job.GetProperty("id").GetString()!;
        Assert.That(job.GetProperty("total").GetInt32(), Is.EqualTo(3), "a folder expands to its files; links inside are skipped");
        var done = await JobsHost.WaitAsync(_client, id);
        Assert.That(done.GetProperty("state").GetString(), Is.EqualTo("completed"));
        var (_, body, _, _) = await JobsHost.ResultsAsync(_client, id);
        using var json = JsonDocument.Parse(body);
        Assert.That(FormatValidators.SpeciesNet(json.RootElement), Is.Empty, body);
        var entries = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("filepath").GetString()), Is.EqualTo(images.Select(i => "camera1/" + i.Name).Order(StringComparer.Ordinal)));
        Assert.That(entries[0].GetProperty("country").GetString(), Is.EqualTo("USA"));
        Assert.That(Directory.Exists(Path.Combine(_dataDir, "staging", id)), Is.False, "path jobs stage nothing");
    }

    [Test]
    public async Task Errors_AsProblemDetails()
    {
        using var unknown = await _client.GetAsync(new Uri("/v1/jobs/doesnotexist", UriKind.Relative));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var unknownResults = await _client.GetAsync(new Uri("/v1/jobs/doesnotexist/results", UriKind.Relative));
        Assert.That(unknownResults.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using var unknownCancel = await _client.DeleteAsync(new Uri("/v1/jobs/doesnotexist", UriKind.Relative));
        Assert.That(unknownCancel.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        using var noImages = new MultipartFormDataContent { { new StringContent("KEN"), "country" } };
        using var empty = await _client.PostAsync(new Uri("/v1/jobs", UriKind.Relative), noImages);
        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await empty.Content.ReadAsStringAsync());

        using var badMode = JobsHost.Form(JobsHost.SharedImages().Take(1), ("mode", "everything"));
        using var mode = await _client.PostAsync(new Uri("/v1/jobs", UriKind.Relative), badMode);
        Assert.That(mode.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await mode.Content.ReadAsStringAsync(), Does.Contain("mode"));

        using var badHook = JobsHost.Form(JobsHost.SharedImages().Take(1), ("webhook_url", "ftp://x"));
        using var hook = await _client.PostAsync(new Uri("/v1/jobs", UriKind.Relative), badHook);
        Assert.That(hook.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await hook.Content.ReadAsStringAsync(), Does.Contain("webhook_url"));

        using var text = await _client.PostAsync(new Uri("/v1/jobs", UriKind.Relative), new StringContent("x", Encoding.UTF8, "text/plain"));
        Assert.That(text.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));

        var job = await JobsHost.SubmitAsync(_client, JobsHost.Form(JobsHost.SharedImages().Take(1)));
        var id = job.GetProperty("id").GetString()!;
        await JobsHost.WaitAsync(_client, id);
        using var badFormat = await _client.GetAsync(new Uri($"/v1/jobs/{id}/results?format=xml", UriKind.Relative));
        Assert.That(badFormat.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using var finished = await _client.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), await finished.Content.ReadAsStringAsync());
        using var badLimit = await _client.GetAsync(new Uri("/v1/jobs?limit=0", UriKind.Relative));
        Assert.That(badLimit.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    private static StringContent Json(object body) =>
        new(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
