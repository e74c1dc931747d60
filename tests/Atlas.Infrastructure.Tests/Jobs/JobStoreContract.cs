using Atlas.Domain.Jobs;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// What every <see cref="IJobStore"/> must do (the embedded SQLite store and the PostgreSQL store alike). A subclass
/// supplies an empty store per test through <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class JobStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private IJobStore? _store;

    protected IJobStore Store => _store ?? throw new InvalidOperationException("No store: SetUp did not run.");

    /// <summary>A new, empty store (its own database or schema).</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    [SetUp]
    public async Task CreateStore() => _store = await CreateStoreAsync();

    /// <summary>Releases a store made by <see cref="CreateStoreAsync"/> (by default: disposes it if it is disposable).</summary>
    protected virtual async Task DisposeStoreAsync(IJobStore store)
    {
        if (store is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else if (store is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    [TearDown]
    public async Task DisposeStore()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }
        _store = null;
    }

    protected static NewJob Job(string id, int images, string? key = null, DateTimeOffset? created = null, DateTimeOffset? expires = null) =>
        new(
            id,
            key,
            """{"mode":"full"}""",
            Enumerable.Range(0, images)
                .Select(i => new JobImage(i, $"season/cam{i % 3}/img{i:D5}.jpg", $"staged/{id}/{i}",
                    i % 5 == 4 ? "over the size limit" : null, i % 2 == 0 ? null : """{"country":"KEN"}"""))
                .ToList(),
            images % 2 == 0 ? "https://example.org/hook" : null,
            created ?? T0,
            expires ?? T0.AddDays(7));

    private static JobResultRow Result(int index, bool failed = false) => new(index, failed, $$"""{"filepath":"img{{index}}","failed":{{(failed ? "true" : "false")}}}""");

    private async Task<List<JobResultRow>> ResultsAsync(string jobId)
    {
        var rows = new List<JobResultRow>();
        await foreach (var row in Store.ReadResultsAsync(jobId, CancellationToken.None))
        {
            rows.Add(row);
        }
        return rows;
    }

    [Test]
    public async Task Create_StoresAQueuedJobWithItsImages()
    {
        var job = Job("job-a", 7);
        var (record, created) = await Store.CreateAsync(job, CancellationToken.None);
        var stored = await Store.GetAsync("job-a", CancellationToken.None);
        var pending = await Store.PendingImagesAsync("job-a", 0, 7, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(created, Is.True);
            Assert.That(record.State, Is.EqualTo(JobState.Queued));
            Assert.That(stored, Is.Not.Null);
            Assert.That(stored, Is.EqualTo(record));
            Assert.That(stored!.Total, Is.EqualTo(7));
            Assert.That((stored.Done, stored.Failed, stored.StartedAt, stored.FinishedAt, stored.Error), Is.EqualTo((0, 0, (DateTimeOffset?)null, (DateTimeOffset?)null, (string?)null)));
            Assert.That(stored.OptionsJson, Is.EqualTo(job.OptionsJson));
            Assert.That(stored.WebhookUrl, Is.Null);
            Assert.That(stored.CreatedAt, Is.EqualTo(job.CreatedAt));
            Assert.That(stored.ExpiresAt, Is.EqualTo(job.ExpiresAt));
            Assert.That(pending, Is.EqualTo(job.Images));
        });
    }

    [Test]
    public async Task Create_ALargeJob_KeepsEveryImageInOrder()
    {
        var job = Job("job-large", 1500, created: T0, expires: T0.AddHours(1));
        await Store.CreateAsync(job, CancellationToken.None);

        var pending = await Store.PendingImagesAsync("job-large", 0, 1500, CancellationToken.None);
        var window = await Store.PendingImagesAsync("job-large", 1490, 32, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(pending, Is.EqualTo(job.Images));
            Assert.That(window.Select(i => i.Index), Is.EqualTo(Enumerable.Range(1490, 10)));
        });
    }

    [Test]
    public async Task Create_WithAKnownIdempotencyKey_ReturnsTheExistingJobAndWritesNothing()
    {
        var (first, firstCreated) = await Store.CreateAsync(Job("job-1", 2, key: "client-key-1"), CancellationToken.None);
        var (again, againCreated) = await Store.CreateAsync(Job("job-2", 5, key: "client-key-1"), CancellationToken.None);
        var (other, otherCreated) = await Store.CreateAsync(Job("job-3", 1, key: "client-key-2"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(firstCreated, Is.True);
            Assert.That(againCreated, Is.False);
            Assert.That(again, Is.EqualTo(first));
            Assert.That(again.Total, Is.EqualTo(2));
            Assert.That(await Store.GetAsync("job-2", CancellationToken.None), Is.Null);
            Assert.That((other.Id, otherCreated), Is.EqualTo(("job-3", true)));
        });
    }

    [Test]
    public async Task Create_ConcurrentlyWithOneIdempotencyKey_CreatesOneJob()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Store.CreateAsync(Job($"job-race-{i}", 3, key: "same-key"), CancellationToken.None))));

        var winners = attempts.Where(a => a.Created).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(winners, Has.Count.EqualTo(1));
            Assert.That(attempts.Select(a => a.Job.Id).Distinct(), Is.EqualTo(new[] { winners[0].Job.Id }));
            Assert.That(await Store.ListAsync(100, null, CancellationToken.None), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task RecordResult_RacedByParallelDuplicates_WritesOneRowAndCountsItOnce()
    {
        await Store.CreateAsync(Job("job-dup", 3), CancellationToken.None);

        // A re-delivered task and two workers on one image: 24 writers of index 1 (half as failures), at once.
        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await Store.RecordResultAsync("job-dup", Result(1, failed: i % 2 == 1), T0.AddMinutes(1), CancellationToken.None);
        })).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(writers);

        var job = await Store.GetAsync("job-dup", CancellationToken.None);
        var rows = await ResultsAsync("job-dup");
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Count(o => o), Is.EqualTo(1));
            Assert.That(rows.Select(r => r.Index), Is.EqualTo(new[] { 1 }));
            Assert.That(job!.Done, Is.EqualTo(1), "done counts every image with a result, failed ones included");
            Assert.That(job.Failed, Is.EqualTo(rows[0].Failed ? 1 : 0));
            Assert.That(job.State, Is.EqualTo(JobState.Running));
        });
    }

    [Test]
    public async Task RecordResult_ParallelOverEveryImage_CompletesWithExactCounts()
    {
        const int images = 60;
        await Store.CreateAsync(Job("job-par", images), CancellationToken.None);

        // Every image recorded three times by parallel writers (three workers sharing re-delivered tasks).
        var outcomes = await Task.WhenAll(Enumerable.Range(0, images * 3).Select(i => Task.Run(() =>
            Store.RecordResultAsync("job-par", Result(i % images, failed: i % images % 7 == 0), T0.AddMinutes(2), CancellationToken.None))));

        var job = await Store.GetAsync("job-par", CancellationToken.None);
        var rows = await ResultsAsync("job-par");
        var expectedFailed = Enumerable.Range(0, images).Count(i => i % 7 == 0);
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Count(o => o), Is.EqualTo(images));
            Assert.That(rows.Select(r => r.Index), Is.EqualTo(Enumerable.Range(0, images)));
            Assert.That((job!.Done, job.Failed), Is.EqualTo((images, expectedFailed)), "done includes the failed images");
            Assert.That(job.State, Is.EqualTo(JobState.Completed));
        });
    }

    [Test]
    public async Task RecordResult_MovesQueuedToRunningThenTheLastImageCompletes()
    {
        await Store.CreateAsync(Job("job-life", 3), CancellationToken.None);
        var t1 = T0.AddMinutes(1);
        var t2 = T0.AddMinutes(2);
        var t3 = T0.AddMinutes(3);

        var first = await Store.RecordResultAsync("job-life", Result(2), t1, CancellationToken.None);
        var afterFirst = await Store.GetAsync("job-life", CancellationToken.None);
        var second = await Store.RecordResultAsync("job-life", Result(0, failed: true), t2, CancellationToken.None);
        var last = await Store.RecordResultAsync("job-life", Result(1), t3, CancellationToken.None);
        var done = await Store.GetAsync("job-life", CancellationToken.None);
        var afterEnd = await Store.RecordResultAsync("job-life", Result(1), t3.AddMinutes(1), CancellationToken.None);
        var rows = await ResultsAsync("job-life");

        Assert.Multiple(async () =>
        {
            Assert.That((first, second, last, afterEnd), Is.EqualTo((true, true, true, false)));
            Assert.That(afterFirst!.State, Is.EqualTo(JobState.Running));
            Assert.That((afterFirst.StartedAt, afterFirst.FinishedAt), Is.EqualTo(((DateTimeOffset?)t1, (DateTimeOffset?)null)));
            Assert.That(done!.State, Is.EqualTo(JobState.Completed));
            Assert.That((done.Done, done.Failed), Is.EqualTo((3, 1)), "done includes the failed image");
            Assert.That((done.StartedAt, done.FinishedAt), Is.EqualTo(((DateTimeOffset?)t1, (DateTimeOffset?)t3)));
            Assert.That(rows.Select(r => (r.Index, r.Failed)), Is.EqualTo(new[] { (0, true), (1, false), (2, false) }));
            Assert.That(rows[1].ResultJson, Is.EqualTo(Result(1).ResultJson));
            Assert.That(await Store.UnfinishedAsync(CancellationToken.None), Is.Empty);
            Assert.That(await Store.CancelAsync("job-life", t3, CancellationToken.None), Is.False);
        });
    }

    [Test]
    public async Task RecordResult_UnknownJobOrIndexOutOfRange_IsRefused()
    {
        await Store.CreateAsync(Job("job-range", 2), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await Store.RecordResultAsync("no-such-job", Result(0), T0, CancellationToken.None), Is.False);
            Assert.That(await Store.RecordResultAsync("job-range", Result(2), T0, CancellationToken.None), Is.False);
            Assert.That(await ResultsAsync("job-range"), Is.Empty);
        });
    }

    [Test]
    public async Task Cancel_ThenRecordResult_IsRefusedAndChangesNothing()
    {
        await Store.CreateAsync(Job("job-cancel", 4), CancellationToken.None);
        await Store.RecordResultAsync("job-cancel", Result(0), T0.AddMinutes(1), CancellationToken.None);

        var cancelled = await Store.CancelAsync("job-cancel", T0.AddMinutes(2), CancellationToken.None);
        var recorded = await Store.RecordResultAsync("job-cancel", Result(1), T0.AddMinutes(3), CancellationToken.None);
        var job = await Store.GetAsync("job-cancel", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(cancelled, Is.True);
            Assert.That(recorded, Is.False);
            Assert.That(job!.State, Is.EqualTo(JobState.Cancelled));
            Assert.That((job.Done, job.Failed, job.FinishedAt), Is.EqualTo((1, 0, (DateTimeOffset?)T0.AddMinutes(2))));
            Assert.That((await ResultsAsync("job-cancel")).Select(r => r.Index), Is.EqualTo(new[] { 0 }));
            Assert.That(await Store.CancelAsync("job-cancel", T0.AddMinutes(4), CancellationToken.None), Is.False);
            Assert.That(await Store.CancelAsync("no-such-job", T0, CancellationToken.None), Is.False);
        });
    }

    [Test]
    public async Task Fail_EndsTheJobWithItsReason()
    {
        await Store.CreateAsync(Job("job-fail", 2), CancellationToken.None);

        await Store.FailAsync("job-fail", "options unreadable", T0.AddMinutes(5), CancellationToken.None);
        var job = await Store.GetAsync("job-fail", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(job!.State, Is.EqualTo(JobState.Failed));
            Assert.That(job.Error, Is.EqualTo("options unreadable"));
            Assert.That(job.FinishedAt, Is.EqualTo((DateTimeOffset?)T0.AddMinutes(5)));
            Assert.That(await Store.RecordResultAsync("job-fail", Result(0), T0.AddMinutes(6), CancellationToken.None), Is.False);
            Assert.That(await Store.CancelAsync("job-fail", T0.AddMinutes(6), CancellationToken.None), Is.False);
        });
    }

    [Test]
    public async Task List_IsNewestFirstAndPagesOnWithBefore()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateAsync(Job($"job-{i}", 1, created: T0.AddMinutes(i)), CancellationToken.None);
        }
        // Two jobs submitted in the same instant: the later submission lists first.
        await Store.CreateAsync(Job("job-5a", 1, created: T0.AddMinutes(10)), CancellationToken.None);
        await Store.CreateAsync(Job("job-5b", 1, created: T0.AddMinutes(10)), CancellationToken.None);

        var page1 = await Store.ListAsync(3, null, CancellationToken.None);
        var page2 = await Store.ListAsync(3, page1[^1].Id, CancellationToken.None);
        var page3 = await Store.ListAsync(3, page2[^1].Id, CancellationToken.None);
        var all = await Store.ListAsync(100, null, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(page1.Select(j => j.Id), Is.EqualTo(new[] { "job-5b", "job-5a", "job-4" }));
            Assert.That(page2.Select(j => j.Id), Is.EqualTo(new[] { "job-3", "job-2", "job-1" }));
            Assert.That(page3.Select(j => j.Id), Is.EqualTo(new[] { "job-0" }));
            Assert.That(all, Has.Count.EqualTo(7));
        });
    }

    [Test]
    public async Task Expired_ListsOnlyJobsWhoseRetentionEnded()
    {
        await Store.CreateAsync(Job("job-old", 1, expires: T0.AddHours(1)), CancellationToken.None);
        await Store.CreateAsync(Job("job-new", 1, expires: T0.AddDays(30)), CancellationToken.None);
        await Store.CreateAsync(Job("job-edge", 1, expires: T0.AddDays(2)), CancellationToken.None);

        var expired = await Store.ExpiredAsync(T0.AddDays(2), CancellationToken.None);

        Assert.That(expired.Select(j => j.Id), Is.EqualTo(new[] { "job-old" }));
    }

    [Test]
    public async Task Delete_RemovesTheJobItsImagesAndItsResults()
    {
        await Store.CreateAsync(Job("job-del", 3, key: "delete-me"), CancellationToken.None);
        await Store.CreateAsync(Job("job-keep", 2), CancellationToken.None);
        await Store.RecordResultAsync("job-del", Result(0), T0, CancellationToken.None);
        await Store.RecordResultAsync("job-keep", Result(0), T0, CancellationToken.None);

        await Store.DeleteAsync("job-del", CancellationToken.None);
        await Store.DeleteAsync("no-such-job", CancellationToken.None);
        var (recreated, created) = await Store.CreateAsync(Job("job-del-2", 1, key: "delete-me"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await Store.GetAsync("job-del", CancellationToken.None), Is.Null);
            Assert.That(await Store.PendingImagesAsync("job-del", 0, 3, CancellationToken.None), Is.Empty);
            Assert.That(await ResultsAsync("job-del"), Is.Empty);
            Assert.That((recreated.Id, created), Is.EqualTo(("job-del-2", true)), "the deleted job's idempotency key is free again");
            Assert.That((await ResultsAsync("job-keep")).Select(r => r.Index), Is.EqualTo(new[] { 0 }));
            Assert.That(await Store.PendingImagesAsync("job-keep", 0, 2, CancellationToken.None), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task PendingImages_SkipsRecordedImagesWithinTheWindow()
    {
        var job = Job("job-pend", 6);
        await Store.CreateAsync(job, CancellationToken.None);
        await Store.RecordResultAsync("job-pend", Result(1), T0, CancellationToken.None);
        await Store.RecordResultAsync("job-pend", Result(4, failed: true), T0, CancellationToken.None);

        var all = await Store.PendingImagesAsync("job-pend", 0, 6, CancellationToken.None);
        var window = await Store.PendingImagesAsync("job-pend", 2, 3, CancellationToken.None);
        var beyond = await Store.PendingImagesAsync("job-pend", 6, 10, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(all.Select(i => i.Index), Is.EqualTo(new[] { 0, 2, 3, 5 }));
            Assert.That(all[1], Is.EqualTo(job.Images[2]));
            Assert.That(window.Select(i => i.Index), Is.EqualTo(new[] { 2, 3 }));
            Assert.That(beyond, Is.Empty);
        });
    }

    [Test]
    public async Task Unfinished_ListsQueuedAndRunningJobsOnly()
    {
        await Store.CreateAsync(Job("job-q", 2, created: T0), CancellationToken.None);
        await Store.CreateAsync(Job("job-r", 2, created: T0.AddMinutes(1)), CancellationToken.None);
        await Store.CreateAsync(Job("job-c", 1, created: T0.AddMinutes(2)), CancellationToken.None);
        await Store.CreateAsync(Job("job-x", 1, created: T0.AddMinutes(3)), CancellationToken.None);
        await Store.RecordResultAsync("job-r", Result(0), T0, CancellationToken.None);
        await Store.RecordResultAsync("job-c", Result(0), T0, CancellationToken.None);
        await Store.CancelAsync("job-x", T0, CancellationToken.None);

        var unfinished = await Store.UnfinishedAsync(CancellationToken.None);

        Assert.That(unfinished.Select(j => (j.Id, j.State)), Is.EquivalentTo(new[] { ("job-q", JobState.Queued), ("job-r", JobState.Running) }));
    }
}
