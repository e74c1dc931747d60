using System.Text;
using System.Threading.Channels;
using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs.RabbitMq;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// <see cref="RabbitMqJobBroker"/> on a real RabbitMQ server (<c>ATLAS_TEST_RABBITMQ</c>), each test on its own
/// queue (deleted afterwards). A "worker" is a broker instance with its own connection: disposing it is what a
/// killed worker process does to its connection.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RabbitMqJobBrokerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    private readonly List<IAsyncDisposable> _owned = [];
    private Uri _uri = null!;
    private string _queue = string.Empty;

    [OneTimeSetUp]
    public void FindServer() => _uri = JobBackends.RabbitMqOrIgnore();

    [SetUp]
    public void NewQueue() => _queue = $"atlas-test-{Guid.NewGuid():N}";

    [TearDown]
    public async Task Cleanup()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        _owned.Clear();
        await JobBackends.DeleteQueueAsync(_uri, _queue);
    }

    private RabbitMqJobBroker NewBroker()
    {
        var broker = new RabbitMqJobBroker(
            Options.Create(new RabbitMqJobBrokerOptions { Uri = _uri, Queue = _queue, ReconnectInterval = TimeSpan.FromMilliseconds(300), ClientName = "atlas-tests" }),
            NullLogger<RabbitMqJobBroker>.Instance);
        _owned.Add(broker);
        return broker;
    }

    private Consumer Consume(IJobBroker broker, int prefetch)
    {
        var consumer = new Consumer(broker, prefetch);
        _owned.Add(consumer);
        return consumer;
    }

    private static JobTask Task(int first, int count = 8) => new("job-x", first, count);

    [Test]
    public async Task Enqueue_ThenConsume_DeliversEveryTaskInOrder_AndAckRemovesThem()
    {
        var broker = NewBroker();
        for (var i = 0; i < 3; i++)
        {
            await broker.EnqueueAsync(Task(i * 8), CancellationToken.None);
        }

        var consumer = Consume(broker, prefetch: 10);
        var deliveries = new List<IJobDelivery>();
        for (var i = 0; i < 3; i++)
        {
            deliveries.Add(await consumer.NextAsync(Wait) ?? throw new AssertionException($"delivery {i} did not arrive"));
        }
        foreach (var delivery in deliveries)
        {
            await delivery.AckAsync(CancellationToken.None);
            // A second acknowledgement is a no-op (never a channel error).
            await delivery.AckAsync(CancellationToken.None);
        }
        var afterAck = await consumer.NextAsync(Quiet);
        await consumer.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(deliveries.Select(d => d.Task), Is.EqualTo(new[] { Task(0), Task(8), Task(16) }));
            Assert.That(deliveries.Select(d => ((RabbitMqJobBroker.RabbitMqJobDelivery)d).Redelivered), Is.All.False);
            Assert.That(afterAck, Is.Null);
            Assert.That(await broker.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task Depth_CountsTasksWaiting()
    {
        var broker = NewBroker();
        var empty = await broker.DepthAsync(CancellationToken.None);
        for (var i = 0; i < 4; i++)
        {
            await broker.EnqueueAsync(Task(i), CancellationToken.None);
        }
        var four = await broker.DepthAsync(CancellationToken.None);

        Assert.That((empty, four), Is.EqualTo(((long?)0, (long?)4)));
    }

    [Test]
    public async Task Depth_WhenTheBrokerIsUnreachable_IsUnknown()
    {
        var broker = new RabbitMqJobBroker(
            Options.Create(new RabbitMqJobBrokerOptions { Uri = new Uri("amqp://guest:guest@127.0.0.1:1/"), Queue = _queue }),
            NullLogger<RabbitMqJobBroker>.Instance);
        _owned.Add(broker);

        Assert.That(await broker.DepthAsync(CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Consume_HoldsAtMostPrefetchUnacknowledgedTasks()
    {
        var broker = NewBroker();
        for (var i = 0; i < 5; i++)
        {
            await broker.EnqueueAsync(Task(i), CancellationToken.None);
        }

        var consumer = Consume(broker, prefetch: 2);
        var first = await consumer.NextAsync(Wait);
        var second = await consumer.NextAsync(Wait);
        var third = await consumer.NextAsync(Quiet);
        var waiting = await broker.DepthAsync(CancellationToken.None);
        await first!.AckAsync(CancellationToken.None);
        var afterAck = await consumer.NextAsync(Wait);
        var stillTwo = await consumer.NextAsync(Quiet);

        Assert.Multiple(() =>
        {
            Assert.That((first.Task, second?.Task), Is.EqualTo((Task(0), Task(1))));
            Assert.That(third, Is.Null, "a third task arrived while two were unacknowledged (prefetch 2)");
            Assert.That(waiting, Is.EqualTo(3));
            Assert.That(afterAck?.Task, Is.EqualTo(Task(2)), "acknowledging one lets exactly one more in");
            Assert.That(stillTwo, Is.Null);
        });
    }

    [Test]
    public async Task AnUnacknowledgedTask_OfAWorkerWhoseConnectionDies_IsDeliveredToAnotherWorker()
    {
        var producer = NewBroker();
        await producer.EnqueueAsync(Task(0), CancellationToken.None);
        await producer.EnqueueAsync(Task(8), CancellationToken.None);

        // Worker A takes both (prefetch 2), acknowledges the first and dies holding the second.
        var workerA = NewBroker();
        var consumerA = Consume(workerA, prefetch: 2);
        var a1 = await consumerA.NextAsync(Wait);
        var a2 = await consumerA.NextAsync(Wait);
        await a1!.AckAsync(CancellationToken.None);
        var workerB = NewBroker();
        var consumerB = Consume(workerB, prefetch: 2);
        var beforeDeath = await consumerB.NextAsync(Quiet);
        await workerA.DisposeAsync();

        var redelivered = await consumerB.NextAsync(Wait);
        // Worker A's late acknowledgement (its channel is gone) neither throws nor loses the task.
        await a2!.AckAsync(CancellationToken.None);
        await redelivered!.AckAsync(CancellationToken.None);
        var nothingMore = await consumerB.NextAsync(Quiet);

        Assert.Multiple(async () =>
        {
            Assert.That(beforeDeath, Is.Null, "worker B got a task worker A was holding");
            Assert.That(redelivered.Task, Is.EqualTo(Task(8)));
            Assert.That(((RabbitMqJobBroker.RabbitMqJobDelivery)redelivered).Redelivered, Is.True);
            Assert.That(nothingMore, Is.Null, "the acknowledged task came back");
            Assert.That(await producer.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task AConsumerThatStops_HandsItsUnacknowledgedTasksBack()
    {
        var broker = NewBroker();
        await broker.EnqueueAsync(Task(0), CancellationToken.None);
        var consumer = Consume(broker, prefetch: 1);
        var taken = await consumer.NextAsync(Wait);
        await consumer.DisposeAsync();

        var again = Consume(broker, prefetch: 1);
        var redelivered = await again.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(taken?.Task, Is.EqualTo(Task(0)));
            Assert.That(redelivered?.Task, Is.EqualTo(Task(0)));
        });
    }

    [Test]
    public async Task Release_PutsTheTaskBackForDeliveryAgain()
    {
        var broker = NewBroker();
        await broker.EnqueueAsync(Task(0), CancellationToken.None);
        var consumer = Consume(broker, prefetch: 1);

        var first = await consumer.NextAsync(Wait);
        await first!.ReleaseAsync(CancellationToken.None);
        var second = await consumer.NextAsync(Wait);
        await second!.AckAsync(CancellationToken.None);
        var third = await consumer.NextAsync(Quiet);

        Assert.Multiple(() =>
        {
            Assert.That(second.Task, Is.EqualTo(first.Task));
            Assert.That(((RabbitMqJobBroker.RabbitMqJobDelivery)second).Redelivered, Is.True);
            Assert.That(third, Is.Null);
        });
    }

    [Test]
    public async Task Tasks_SurviveAsPersistentMessagesOnADurableQueue_AndAnUnreadableMessageIsDropped()
    {
        var broker = NewBroker();
        await broker.EnqueueAsync(Task(0), CancellationToken.None);

        // The queue as declared, and what is on it, seen by a plain client.
        var factory = new ConnectionFactory { Uri = _uri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var message = await channel.BasicGetAsync(_queue, autoAck: false);
        Assert.That(message, Is.Not.Null);
        await channel.BasicNackAsync(message!.DeliveryTag, multiple: false, requeue: true);
        await channel.BasicPublishAsync(string.Empty, _queue, mandatory: false, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes("not json"));
        await broker.EnqueueAsync(Task(8), CancellationToken.None);

        var consumer = Consume(broker, prefetch: 5);
        var first = await consumer.NextAsync(Wait);
        var second = await consumer.NextAsync(Wait);
        await first!.AckAsync(CancellationToken.None);
        await second!.AckAsync(CancellationToken.None);
        var ok = await channel.QueueDeclarePassiveAsync(_queue);

        Assert.Multiple(() =>
        {
            Assert.That(message.BasicProperties.Persistent, Is.True);
            Assert.That(message.BasicProperties.ContentType, Is.EqualTo("application/json"));
            Assert.That(Encoding.UTF8.GetString(message.Body.Span), Is.EqualTo("""{"jobId":"job-x","firstIndex":0,"count":8}"""));
            Assert.That((first.Task, second.Task), Is.EqualTo((Task(0), Task(8))), "the unreadable message in between was not delivered");
            Assert.That(ok.MessageCount, Is.Zero, "the unreadable message was not dropped");
        });
    }

    [Test]
    public async Task AfterTheBrokerDropsTheConnection_TheBrokerReconnects_RedeliversAndKeepsConsumingAndPublishing()
    {
        var rabbitmqctl = Environment.GetEnvironmentVariable("ATLAS_TEST_RABBITMQCTL");
        if (string.IsNullOrEmpty(rabbitmqctl))
        {
            Assert.Ignore("ATLAS_TEST_RABBITMQCTL is not set (tools/ci/start-job-backends.sh prints it for the node it starts): cannot cut connections server-side.");
        }
        var broker = NewBroker();
        await broker.EnqueueAsync(Task(0), CancellationToken.None);
        var consumer = Consume(broker, prefetch: 1);
        var held = await consumer.NextAsync(Wait);

        // What a broker restart or a network cut does to every client: the server closes the connections.
        await RunAsync(rabbitmqctl!, "close_all_connections", "atlas test: connection cut");

        var redelivered = await consumer.NextAsync(TimeSpan.FromSeconds(30));
        await held!.AckAsync(CancellationToken.None); // stale: dropped, never a channel error
        await redelivered!.AckAsync(CancellationToken.None);
        await broker.EnqueueAsync(Task(8), CancellationToken.None);
        var afterRecovery = await consumer.NextAsync(Wait);
        await afterRecovery!.AckAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(redelivered.Task, Is.EqualTo(Task(0)));
            Assert.That(((RabbitMqJobBroker.RabbitMqJobDelivery)redelivered).Redelivered, Is.True);
            Assert.That(afterRecovery.Task, Is.EqualTo(Task(8)));
            Assert.That(await consumer.NextAsync(Quiet), Is.Null);
            Assert.That(await broker.DepthAsync(CancellationToken.None), Is.Zero);
        });
    }

    [Test]
    public async Task AfterTheQueueIsDeletedUnderAConsumer_TheConsumerComesBackAndTasksFlowAgain()
    {
        var broker = NewBroker();
        var consumer = Consume(broker, prefetch: 1);
        await broker.EnqueueAsync(Task(0), CancellationToken.None);
        var first = await consumer.NextAsync(Wait);
        await first!.AckAsync(CancellationToken.None);

        // The broker cancels the consumer (basic.cancel) while the connection stays up: recovery does not help.
        await JobBackends.DeleteQueueAsync(_uri, _queue);
        await broker.EnqueueAsync(Task(8), CancellationToken.None);
        var afterDelete = await consumer.NextAsync(TimeSpan.FromSeconds(20));
        await afterDelete!.AckAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.Task, Is.EqualTo(Task(0)));
            Assert.That(afterDelete.Task, Is.EqualTo(Task(8)));
        });
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"{file} {string.Join(' ', arguments)}: {await stderr}");
    }

    /// <summary>Runs <see cref="IJobBroker.ConsumeAsync"/> in the background, as a worker does, and hands its deliveries out one by one.</summary>
    private sealed class Consumer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Channel<IJobDelivery> _received = Channel.CreateUnbounded<IJobDelivery>();
        private readonly Task _pump;
        private bool _disposed;

        public Consumer(IJobBroker broker, int prefetch)
        {
            _pump = System.Threading.Tasks.Task.Run(async () =>
            {
                try
                {
                    await foreach (var delivery in broker.ConsumeAsync(prefetch, _stop.Token))
                    {
                        await _received.Writer.WriteAsync(delivery);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (ObjectDisposedException)
                {
                    // The broker was disposed (the "killed worker").
                }
            });
        }

        public async Task<IJobDelivery?> NextAsync(TimeSpan timeout)
        {
            using var timer = new CancellationTokenSource(timeout);
            try
            {
                return await _received.Reader.ReadAsync(timer.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            await _stop.CancelAsync();
            await _pump;
            _stop.Dispose();
        }
    }
}
