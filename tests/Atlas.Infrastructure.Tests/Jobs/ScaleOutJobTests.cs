using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs.Postgres;
using Atlas.Infrastructure.Jobs.RabbitMq;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// The scale-out backends together, as the worker role uses them: a job's tasks on RabbitMQ, two workers (each
/// with its own broker connection and store, as separate processes have) recording results in PostgreSQL and
/// acknowledging after recording. One worker dies in the middle of a task, some of its images recorded, the task
/// not acknowledged. The job must still complete with every image's result exactly once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ScaleOutJobTests
{
    private const int Images = 48;
    private const int Chunk = 4;
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private string _postgres = string.Empty;
    private Uri _rabbit = null!;
    private string _schema = string.Empty;
    private string _queue = string.Empty;

    [OneTimeSetUp]
    public void FindServers()
    {
        _postgres = JobBackends.PostgresOrIgnore();
        _rabbit = JobBackends.RabbitMqOrIgnore();
    }

    [SetUp]
    public void Names()
    {
        _schema = $"atlas_test_{Guid.NewGuid():N}";
        _queue = $"atlas-test-{Guid.NewGuid():N}";
    }

    [TearDown]
    public async Task Cleanup()
    {
        await JobBackends.DropSchemasAsync(_postgres, _schema);
        await JobBackends.DeleteQueueAsync(_rabbit, _queue);
    }

    private PostgresJobStore NewStore() => new(
        Options.Create(new PostgresJobStoreOptions { ConnectionString = _postgres, Schema = _schema }),
        NullLogger<PostgresJobStore>.Instance);

    private RabbitMqJobBroker NewBroker() => new(
        Options.Create(new RabbitMqJobBrokerOptions { Uri = _rabbit, Queue = _queue, ReconnectInterval = TimeSpan.FromMilliseconds(300) }),
        NullLogger<RabbitMqJobBroker>.Instance);

    [Test]
    [CancelAfter(60_000)]
    public async Task AWorkerKilledMidTask_TheOtherFinishesTheJob_EveryImageExactlyOnce(CancellationToken cancellationToken)
    {
        // The API role: store the job, enqueue its chunks.
        await using var apiStore = NewStore();
        await using var apiBroker = NewBroker();
        var images = Enumerable.Range(0, Images).Select(i => new JobImage(i, $"img{i:D3}.jpg", $"staged/{i}", null, null)).ToList();
        await apiStore.CreateAsync(new NewJob("season-1", null, "{}", images, null, T0, T0.AddDays(1)), cancellationToken);
        for (var first = 0; first < Images; first += Chunk)
        {
            await apiBroker.EnqueueAsync(new JobTask("season-1", first, Chunk), cancellationToken);
        }

        var recorded = 0;
        var redeliveredTasks = 0;

        // Worker A: records images one by one and is killed after its 6th image, in the middle of its second task.
        var storeA = NewStore();
        var brokerA = NewBroker();
        var killA = new CancellationTokenSource();
        var imagesA = 0;
        var workerA = Task.Run(async () =>
        {
            try
            {
                await foreach (var delivery in brokerA.ConsumeAsync(prefetch: 2, killA.Token))
                {
                    foreach (var image in await storeA.PendingImagesAsync(delivery.Task.JobId, delivery.Task.FirstIndex, delivery.Task.Count, killA.Token))
                    {
                        if (await storeA.RecordResultAsync("season-1", new JobResultRow(image.Index, false, $"{{\"by\":\"A\",\"i\":{image.Index}}}"), T0, killA.Token))
                        {
                            Interlocked.Increment(ref recorded);
                        }
                        if (++imagesA == 6)
                        {
                            // The process dies: its connection goes, nothing is acknowledged.
                            await killA.CancelAsync();
                            await brokerA.DisposeAsync();
                            return;
                        }
                    }
                    await delivery.AckAsync(killA.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, cancellationToken);

        // Worker B: the same loop, until the job is complete.
        await using var storeB = NewStore();
        await using var brokerB = NewBroker();
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workerB = Task.Run(async () =>
        {
            try
            {
                await foreach (var delivery in brokerB.ConsumeAsync(prefetch: 2, stopB.Token))
                {
                    if (((RabbitMqJobBroker.RabbitMqJobDelivery)delivery).Redelivered)
                    {
                        Interlocked.Increment(ref redeliveredTasks);
                    }
                    foreach (var image in await storeB.PendingImagesAsync(delivery.Task.JobId, delivery.Task.FirstIndex, delivery.Task.Count, stopB.Token))
                    {
                        if (await storeB.RecordResultAsync("season-1", new JobResultRow(image.Index, false, $"{{\"by\":\"B\",\"i\":{image.Index}}}"), T0, stopB.Token))
                        {
                            Interlocked.Increment(ref recorded);
                        }
                    }
                    await delivery.AckAsync(stopB.Token);
                    // Slow enough that worker A gets its share before B drains the queue.
                    await Task.Delay(20, stopB.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, cancellationToken);

        await workerA;
        await storeA.DisposeAsync();
        JobRecord? job;
        do
        {
            await Task.Delay(100, cancellationToken);
            job = await apiStore.GetAsync("season-1", cancellationToken);
        }
        while (job!.State != JobState.Completed);
        // The queue drains: the last acknowledgements follow the last results.
        long? depth;
        do
        {
            await Task.Delay(100, cancellationToken);
            depth = await apiBroker.DepthAsync(cancellationToken);
        }
        while (depth != 0);
        await stopB.CancelAsync();
        await workerB;

        var rows = new List<JobResultRow>();
        await foreach (var row in apiStore.ReadResultsAsync("season-1", cancellationToken))
        {
            rows.Add(row);
        }
        Assert.Multiple(() =>
        {
            Assert.That(imagesA, Is.EqualTo(6), "worker A was not killed mid-job");
            Assert.That(rows.Select(r => r.Index), Is.EqualTo(Enumerable.Range(0, Images)), "every image exactly once");
            Assert.That(recorded, Is.EqualTo(Images));
            Assert.That((job.Done, job.Failed, job.Total), Is.EqualTo((Images, 0, Images)));
            Assert.That(rows.Count(r => r.ResultJson.Contains("\"A\"", StringComparison.Ordinal)), Is.EqualTo(6), "worker A's recorded images were redone");
            Assert.That(redeliveredTasks, Is.GreaterThanOrEqualTo(1), "worker A's unacknowledged tasks were not redelivered to B");
        });
    }
}
