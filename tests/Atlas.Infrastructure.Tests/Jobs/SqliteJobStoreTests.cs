using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>The job store contract on the embedded SQLite store, each test on its own database file; plus what is SQLite's own.</summary>
[TestFixture]
public sealed class SqliteJobStoreTests : JobStoreContract
{
    private readonly List<string> _folders = [];

    protected override Task<IJobStore> CreateStoreAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "atlas-sqlite-store-" + Guid.NewGuid().ToString("N"));
        _folders.Add(folder);
        return Task.FromResult<IJobStore>(new SqliteJobStore(Path.Combine(folder, "jobs.db")));
    }

    protected override Task DisposeStoreAsync(IJobStore store)
    {
        (store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        foreach (var folder in _folders.Where(Directory.Exists))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // left to the OS
            }
        }
    }

    [Test]
    public async Task Reopened_SameFile_KeepsJobsAndResults()
    {
        var path = Path.Combine(_folders[^1], "jobs.db");
        await Store.CreateAsync(Job("durable", 2), CancellationToken.None);
        await Store.RecordResultAsync("durable", new JobResultRow(0, false, "{}"), T0, CancellationToken.None);
        (Store as IDisposable)?.Dispose();

        using var reopened = new SqliteJobStore(path);
        var job = await reopened.GetAsync("durable", CancellationToken.None);
        Assert.That((job!.State, job.Done), Is.EqualTo((JobState.Running, 1)));
        Assert.That(await reopened.PendingImagesAsync("durable", 0, 2, CancellationToken.None), Has.Count.EqualTo(1));
        Assert.That(await reopened.RecordResultAsync("durable", new JobResultRow(0, false, "{}"), T0, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Journal_IsWal()
    {
        await Store.CreateAsync(Job("wal", 1), CancellationToken.None);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_folders[^1], "jobs.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("wal"));
    }
}
