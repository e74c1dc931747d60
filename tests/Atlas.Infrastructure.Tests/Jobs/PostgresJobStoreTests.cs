using System.Collections.Concurrent;
using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// <see cref="JobStoreContract"/> on a real PostgreSQL server (<c>ATLAS_TEST_POSTGRES</c>), each test in a fresh
/// schema dropped at the end of the fixture.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresJobStoreTests : JobStoreContract
{
    private readonly ConcurrentBag<string> _schemas = [];
    private string _connectionString = string.Empty;

    [OneTimeSetUp]
    public void FindServer() => _connectionString = JobBackends.PostgresOrIgnore();

    [OneTimeTearDown]
    public async Task DropSchemas()
    {
        if (!_schemas.IsEmpty) await JobBackends.DropSchemasAsync(_connectionString, _schemas);
    }

    protected override async Task<IJobStore> CreateStoreAsync()
    {
        var schema = $"atlas_test_{Guid.NewGuid():N}";
        _schemas.Add(schema);
        var store = NewStore(schema);
        await store.StartAsync(CancellationToken.None);
        return store;
    }

    private PostgresJobStore NewStore(string schema) => new(
        Options.Create(new PostgresJobStoreOptions { ConnectionString = _connectionString, Schema = schema }),
        NullLogger<PostgresJobStore>.Instance);

    [Test]
    public async Task Schema_CreatedByManyProcessesAtOnce_AndAgainOnRestart_IsIdempotent()
    {
        var schema = $"atlas_test_{Guid.NewGuid():N}";
        _schemas.Add(schema);
        // Replicas starting together each create the schema.
        var stores = Enumerable.Range(0, 6).Select(_ => NewStore(schema)).ToList();
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.StartAsync(CancellationToken.None))));
        await stores[0].CreateAsync(Job("job-kept", 2), CancellationToken.None);
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        // A restart finds the job where it was.
        await using var restarted = NewStore(schema);
        await restarted.StartAsync(CancellationToken.None);
        var job = await restarted.GetAsync("job-kept", CancellationToken.None);

        Assert.That(job?.Total, Is.EqualTo(2));
    }

    [Test]
    public void Constructor_RefusesASchemaThatIsNotAnIdentifier()
    {
        Assert.Throws<ArgumentException>(() => NewStore("atlas; DROP TABLE x"));
    }
}
