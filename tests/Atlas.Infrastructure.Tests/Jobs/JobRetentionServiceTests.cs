using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Jobs;

[TestFixture]
public sealed class JobRetentionServiceTests
{
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Test]
    public async Task Sweep_DeletesExpiredJobsAndTheirStagedImages_KeepsTheRest()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "atlas-retention-" + Guid.NewGuid().ToString("N"));
        var options = Options.Create(new JobsOptions { DataDir = dataDir });
        using var store = new SqliteJobStore(options);
        var staging = new FileJobStaging(options);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new Clock(t0);
        try
        {
            foreach (var (id, hours) in new[] { ("old", 1), ("new", 48) })
            {
                using var bytes = new MemoryStream([1, 2, 3]);
                var key = await staging.StageAsync(id, 0, bytes, CancellationToken.None);
                await store.CreateAsync(new NewJob(id, null, "{}", [new JobImage(0, "a.jpg", key, null, null)], null, t0, t0.AddHours(hours)), CancellationToken.None);
            }
            var service = new JobRetentionService(store, staging, options, clock, NullLogger<JobRetentionService>.Instance);

            Assert.That(await service.SweepAsync(CancellationToken.None), Is.Zero);
            clock.Now = t0.AddHours(2);
            Assert.That(await service.SweepAsync(CancellationToken.None), Is.EqualTo(1));

            Assert.That(await store.GetAsync("old", CancellationToken.None), Is.Null);
            Assert.That(Directory.Exists(Path.Combine(dataDir, "staging", "old")), Is.False);
            Assert.That(await store.GetAsync("new", CancellationToken.None), Is.Not.Null);
            await using var kept = await staging.OpenAsync("new/00000000", CancellationToken.None);
            Assert.That(kept.Length, Is.EqualTo(3));
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // left to the OS
            }
        }
    }

    [Test]
    public void Staging_RefusesKeysAndIdsThatAreNotItsOwn()
    {
        var staging = new FileJobStaging(Options.Create(new JobsOptions { DataDir = Path.GetTempPath() }));
        Assert.ThrowsAsync<ArgumentException>(() => staging.OpenAsync("../../etc/00000001", CancellationToken.None));
        Assert.ThrowsAsync<ArgumentException>(() => staging.OpenAsync("job/../../x", CancellationToken.None));
        Assert.ThrowsAsync<ArgumentException>(() => staging.DeleteJobAsync("..", CancellationToken.None));
    }
}
