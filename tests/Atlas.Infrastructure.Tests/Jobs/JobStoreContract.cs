using Atlas.Domain.Jobs;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// What every <see cref="IJobStore"/> must do, whatever holds the data: a subclass supplies a fresh, empty store
/// (SQLite here; PostgreSQL in the broker-backed suite) and inherits every test. Counts: <c>done</c> is every image with a
/// result (failed ones included), <c>failed</c> the failed ones; the last result completes the job.
/// </summary>
public abstract class JobStoreContract
{
    protected IJobStore Store { get; private set; } = null!;

    protected static readonly DateTimeOffset T0 = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A new, empty store for one test.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    /// <summary>Releases the store of one test.</summary>
    protected virtual Task DisposeStoreAsync(IJobStore store) => Task.CompletedTask;

    [SetUp]
    public async Task CreateAsync() => Store = await CreateStoreAsync();

    [TearDown]
    public Task DisposeAsync() => DisposeStoreAsync(Store);

    protected static NewJob Job(string id, int images, string? key = null, DateTimeOffset? created = null, TimeSpan? retention = null)
    {
        var at = created ?? T0;
        var list = Enumerable.Range(0, images).Select(i => new JobImage(i, $"img_{i}.jpg", $"{id}/{i:D8}", i == 1 ? "too large" : null, i == 2 ? """{"country":"KEN"}""" : null)).ToList();
        return new NewJob(id, key, """{"options":{"mode":"full"}}""", list, "http://127.0.0.1:9/hook", at, at + (retention ?? TimeSpan.FromDays(7)));
    }

    private static JobResultRow Row(int index, bool failed = false) => new(index, failed, $$"""{"filepath":"img_{{index}}.jpg","n":{{index}}}""");

    [Test]
    public async Task Create_StoresQueuedJobWithItsImages()
    {
        var (job, created) = await Store.CreateAsync(Job("job1", 5), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(created, Is.True);
            Assert.That(job.Id, Is.EqualTo("job1"));
            Assert.That(job.State, Is.EqualTo(JobState.Queued));
            Assert.That((job.Total, job.Done, job.Failed), Is.EqualTo((5, 0, 0)));
            Assert.That(job.OptionsJson, Does.Contain("full"));
            Assert.That(job.WebhookUrl, Is.EqualTo("http://127.0.0.1:9/hook"));
            Assert.That(job.CreatedAt, Is.EqualTo(T0));
            Assert.That(job.StartedAt, Is.Null);
            Assert.That(job.FinishedAt, Is.Null);
        });
        var images = await Store.PendingImagesAsync("job1", 0, 10, CancellationToken.None);
        Assert.That(images.Select(i => i.Index), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(images[1].Rejection, Is.EqualTo("too large"));
        Assert.That(images[2].LocationJson, Does.Contain("KEN"));
        Assert.That(images[3].Source, Is.EqualTo("job1/00000003"));
        Assert.That(await Store.GetAsync("job1", CancellationToken.None), Is.EqualTo(job));
        Assert.That(await Store.GetAsync("nope", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Create_SameIdempotencyKey_ReturnsTheFirstJobAndWritesNothing()
    {
        var (first, _) = await Store.CreateAsync(Job("a", 3, key: "season-1"), CancellationToken.None);
        var (again, created) = await Store.CreateAsync(Job("b", 7, key: "season-1"), CancellationToken.None);
        var (other, otherCreated) = await Store.CreateAsync(Job("c", 2, key: "season-2"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(created, Is.False);
            Assert.That(again.Id, Is.EqualTo("a"));
            Assert.That(again.Total, Is.EqualTo(3));
            Assert.That(otherCreated, Is.True);
            Assert.That(other.Id, Is.EqualTo("c"));
        });
        Assert.That(await Store.GetAsync("b", CancellationToken.None), Is.Null);
        Assert.That(first.IdempotencyKey, Is.EqualTo("season-1"));
    }

    [Test]
    public async Task RecordResult_OncePerImage_CountsAndStates()
    {
        await Store.CreateAsync(Job("j", 3), CancellationToken.None);

        Assert.That(await Store.RecordResultAsync("j", Row(1, failed: true), T0.AddSeconds(1), CancellationToken.None), Is.True);
        var running = await Store.GetAsync("j", CancellationToken.None);
        Assert.That(running!.State, Is.EqualTo(JobState.Running));
        Assert.That(running.StartedAt, Is.EqualTo(T0.AddSeconds(1)));

        // A redelivered task records the same image again: nothing changes.
        Assert.That(await Store.RecordResultAsync("j", Row(1), T0.AddSeconds(2), CancellationToken.None), Is.False);
        Assert.That(await Store.RecordResultAsync("j", Row(0), T0.AddSeconds(3), CancellationToken.None), Is.True);
        Assert.That((await Store.GetAsync("j", CancellationToken.None))!.Done, Is.EqualTo(2));
        Assert.That(await Store.PendingImagesAsync("j", 0, 3, CancellationToken.None), Has.Count.EqualTo(1));

        Assert.That(await Store.RecordResultAsync("j", Row(2), T0.AddSeconds(4), CancellationToken.None), Is.True);
        var done = await Store.GetAsync("j", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(done!.State, Is.EqualTo(JobState.Completed));
            Assert.That((done.Total, done.Done, done.Failed), Is.EqualTo((3, 3, 1)));
            Assert.That(done.FinishedAt, Is.EqualTo(T0.AddSeconds(4)));
        });
        Assert.That(await Store.RecordResultAsync("j", Row(0), T0.AddSeconds(5), CancellationToken.None), Is.False, "finished job");
        Assert.That(await Store.RecordResultAsync("missing", Row(0), T0, CancellationToken.None), Is.False, "unknown job");

        var rows = new List<JobResultRow>();
        await foreach (var row in Store.ReadResultsAsync("j", CancellationToken.None)) rows.Add(row);
        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(rows[1].Failed, Is.True);
        Assert.That(rows[1].ResultJson, Does.Contain("img_1.jpg"), "the first result of an image is the one kept");
        Assert.That(rows[0].ResultJson, Is.EqualTo(Row(0).ResultJson));
    }

    [Test]
    public async Task RecordResult_ConcurrentRedeliveries_EachImageExactlyOnce()
    {
        await Store.CreateAsync(Job("c", 40), CancellationToken.None);
        var attempts = Enumerable.Range(0, 4).SelectMany(_ => Enumerable.Range(0, 40))
            .Select(i => Task.Run(() => Store.RecordResultAsync("c", Row(i), T0, CancellationToken.None)));
        var recorded = await Task.WhenAll(attempts);

        Assert.That(recorded.Count(r => r), Is.EqualTo(40));
        var job = await Store.GetAsync("c", CancellationToken.None);
        Assert.That((job!.State, job.Done), Is.EqualTo((JobState.Completed, 40)));
        var rows = new List<int>();
        await foreach (var row in Store.ReadResultsAsync("c", CancellationToken.None)) rows.Add(row.Index);
        Assert.That(rows, Is.EqualTo(Enumerable.Range(0, 40)));
    }

    [Test]
    public async Task PendingImages_WindowOfTheTask()
    {
        await Store.CreateAsync(Job("w", 20), CancellationToken.None);
        await Store.RecordResultAsync("w", Row(9), T0, CancellationToken.None);

        var pending = await Store.PendingImagesAsync("w", 8, 4, CancellationToken.None);
        Assert.That(pending.Select(p => p.Index), Is.EqualTo(new[] { 8, 10, 11 }));
        Assert.That(await Store.PendingImagesAsync("w", 18, 8, CancellationToken.None), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Cancel_QueuedOrRunningOnly_StopsRecording()
    {
        await Store.CreateAsync(Job("x", 3), CancellationToken.None);
        await Store.RecordResultAsync("x", Row(0), T0, CancellationToken.None);

        Assert.That(await Store.CancelAsync("x", T0.AddMinutes(1), CancellationToken.None), Is.True);
        var cancelled = await Store.GetAsync("x", CancellationToken.None);
        Assert.That(cancelled!.State, Is.EqualTo(JobState.Cancelled));
        Assert.That(cancelled.FinishedAt, Is.EqualTo(T0.AddMinutes(1)));
        Assert.That(await Store.CancelAsync("x", T0, CancellationToken.None), Is.False, "already cancelled");
        Assert.That(await Store.CancelAsync("unknown", T0, CancellationToken.None), Is.False);
        Assert.That(await Store.RecordResultAsync("x", Row(1), T0, CancellationToken.None), Is.False);
        Assert.That((await Store.GetAsync("x", CancellationToken.None))!.Done, Is.EqualTo(1), "results so far are kept");

        await Store.CreateAsync(Job("y", 1), CancellationToken.None);
        await Store.RecordResultAsync("y", Row(0), T0, CancellationToken.None);
        Assert.That(await Store.CancelAsync("y", T0, CancellationToken.None), Is.False, "completed");
    }

    [Test]
    public async Task Fail_MarksJobFailedWithReason()
    {
        await Store.CreateAsync(Job("f", 2), CancellationToken.None);
        await Store.FailAsync("f", "options unreadable", T0.AddSeconds(9), CancellationToken.None);

        var job = await Store.GetAsync("f", CancellationToken.None);
        Assert.That((job!.State, job.Error, job.FinishedAt), Is.EqualTo((JobState.Failed, "options unreadable", (DateTimeOffset?)T0.AddSeconds(9))));
        Assert.That(await Store.UnfinishedAsync(CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task List_NewestFirst_PagedWithBefore()
    {
        for (var i = 0; i < 5; i++) await Store.CreateAsync(Job($"l{i}", 1, created: T0.AddSeconds(i)), CancellationToken.None);

        var first = await Store.ListAsync(2, null, CancellationToken.None);
        var second = await Store.ListAsync(2, first[^1].Id, CancellationToken.None);
        var last = await Store.ListAsync(2, second[^1].Id, CancellationToken.None);

        Assert.That(first.Select(j => j.Id), Is.EqualTo(new[] { "l4", "l3" }));
        Assert.That(second.Select(j => j.Id), Is.EqualTo(new[] { "l2", "l1" }));
        Assert.That(last.Select(j => j.Id), Is.EqualTo(new[] { "l0" }));
    }

    [Test]
    public async Task Unfinished_QueuedAndRunningJobs()
    {
        await Store.CreateAsync(Job("q", 2), CancellationToken.None);
        await Store.CreateAsync(Job("r", 2), CancellationToken.None);
        await Store.RecordResultAsync("r", Row(0), T0, CancellationToken.None);
        await Store.CreateAsync(Job("d", 1), CancellationToken.None);
        await Store.RecordResultAsync("d", Row(0), T0, CancellationToken.None);
        await Store.CreateAsync(Job("k", 1), CancellationToken.None);
        await Store.CancelAsync("k", T0, CancellationToken.None);

        var unfinished = await Store.UnfinishedAsync(CancellationToken.None);
        Assert.That(unfinished.Select(j => j.Id), Is.EquivalentTo(new[] { "q", "r" }));
    }

    [Test]
    public async Task Expired_ThenDelete_RemovesJobImagesAndResults()
    {
        await Store.CreateAsync(Job("old", 2, retention: TimeSpan.FromHours(1)), CancellationToken.None);
        await Store.CreateAsync(Job("new", 2, retention: TimeSpan.FromHours(10)), CancellationToken.None);
        await Store.RecordResultAsync("old", Row(0), T0, CancellationToken.None);

        var expired = await Store.ExpiredAsync(T0.AddHours(2), CancellationToken.None);
        Assert.That(expired.Select(j => j.Id), Is.EqualTo(new[] { "old" }));
        Assert.That(await Store.ExpiredAsync(T0.AddMinutes(30), CancellationToken.None), Is.Empty);

        await Store.DeleteAsync("old", CancellationToken.None);
        Assert.That(await Store.GetAsync("old", CancellationToken.None), Is.Null);
        Assert.That(await Store.PendingImagesAsync("old", 0, 2, CancellationToken.None), Is.Empty);
        var rows = 0;
        await foreach (var _ in Store.ReadResultsAsync("old", CancellationToken.None)) rows++;
        Assert.That(rows, Is.Zero);
        Assert.That(await Store.GetAsync("new", CancellationToken.None), Is.Not.Null);

        // The id and the key may be used again once deleted.
        var (again, created) = await Store.CreateAsync(Job("old", 1), CancellationToken.None);
        Assert.That((created, again.Total), Is.EqualTo((true, 1)));
    }
}
