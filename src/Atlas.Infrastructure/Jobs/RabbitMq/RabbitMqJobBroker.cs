using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Atlas.Domain.Errors;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Atlas.Infrastructure.Jobs.RabbitMq;

/// <summary>
/// <see cref="IJobBroker"/> on one durable RabbitMQ queue. Tasks are published persistent and confirmed by the
/// broker (an enqueue that returns is on disk); consumers take them with manual acknowledgements and
/// <c>basic.qos</c> prefetch, so a consumer holds at most <c>prefetch</c> unacknowledged tasks and RabbitMQ delivers
/// them again (flagged redelivered) when the consumer's channel or connection closes: a killed worker loses nothing.
/// The connection recovers by itself (the client's automatic recovery re-opens channels and re-registers
/// consumers); a channel the broker closes is re-opened by <see cref="ConsumeAsync"/>.
/// </summary>
public sealed partial class RabbitMqJobBroker : IJobBroker, IAsyncDisposable
{
    private readonly RabbitMqJobBrokerOptions _options;
    private readonly ILogger<RabbitMqJobBroker> _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private IConnection? _connection;
    private IChannel? _publishChannel;
    private volatile bool _recovering;
    private bool _disposed;

    public RabbitMqJobBroker(IOptions<RabbitMqJobBrokerOptions> options, ILogger<RabbitMqJobBroker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The queue's name (for health output).</summary>
    public string QueueName => _options.Queue;

    public async ValueTask EnqueueAsync(JobTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var body = JsonSerializer.SerializeToUtf8Bytes(task, JobTaskJsonContext.Default.JobTask);
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = $"{task.JobId}:{task.FirstIndex}",
            Type = "atlas.job-task",
        };
        await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var channel = await PublishChannelAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // With publisher confirmation tracking this returns once the broker confirmed (persisted) the
                    // message; a nack or an unroutable return throws PublishException.
                    await channel.BasicPublishAsync(string.Empty, _options.Queue, mandatory: true, properties, body, cancellationToken)
                        .ConfigureAwait(false);
                    return;
                }
                catch (PublishException ex) when (ex.IsReturn && attempt < 3)
                {
                    // Unroutable: the queue was deleted (by an operator, or a broker reset). Declare it again.
                    await channel.QueueDeclareAsync(_options.Queue, durable: true, exclusive: false, autoDelete: false, arguments: null,
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (AlreadyClosedException) when (attempt < 3)
                {
                    // The channel died under us (broker restart, recovery in progress): the next attempt opens another
                    // (PublishChannelAsync replaces a closed one). A task enqueued twice is harmless: a re-delivered
                    // task skips the results already recorded.
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException)
        {
            // The broker is down or unreachable: the client sees 503 + Retry-After instead of a 500, and can retry
            // the submission (with the same Idempotency-Key).
            throw new ServiceUnavailableException("The job queue (RabbitMQ) cannot be reached; try again shortly.", TimeSpan.FromSeconds(5), ex);
        }
        finally
        {
            _publishLock.Release();
        }
    }

    public async IAsyncEnumerable<IJobDelivery> ConsumeAsync(int prefetch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefetch, ushort.MaxValue);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_disposed)
            {
                // The broker (its connection) was disposed: the deliveries end; the broker re-queued what was held.
                yield break;
            }
            var session = await OpenConsumerAsync((ushort)prefetch, cancellationToken).ConfigureAwait(false);
            await using (session.ConfigureAwait(false))
            {
                await foreach (var delivery in session.Deliveries.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return delivery;
                }
            }
            if (_disposed)
            {
                yield break;
            }
            // The broker closed the channel or cancelled the consumer: its unacknowledged tasks go back to the
            // queue. Open a new channel after a pause.
            LogConsumerRestart(_logger, _options.Queue, session.EndReason ?? "unknown");
            await Task.Delay(_options.ReconnectInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<long?> DepthAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
            // A passive declare of a missing queue closes its channel (404), so each call uses its own channel.
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (channel.ConfigureAwait(false))
            {
                var ok = await channel.QueueDeclarePassiveAsync(_options.Queue, cancellationToken).ConfigureAwait(false);
                return ok.MessageCount;
            }
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
        {
            LogDepthUnknown(_logger, _options.Queue, ex.Message);
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
        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                // Closing a connection that is already gone.
            }
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        _connectLock.Dispose();
        _publishLock.Dispose();
    }

    private async Task<IConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } existing)
        {
            return existing;
        }
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { } raced)
            {
                return raced;
            }
            var factory = new ConnectionFactory
            {
                Uri = _options.Uri,
                ClientProvidedName = _options.ClientName,
                // Once connected, the client re-connects, re-opens channels, re-declares the queue and
                // re-registers consumers by itself; acknowledgements of deliveries from before are dropped
                // (those tasks are delivered again).
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                NetworkRecoveryInterval = _options.ReconnectInterval,
                RequestedHeartbeat = TimeSpan.FromSeconds(30),
            };
            var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            connection.ConnectionShutdownAsync += (_, args) =>
            {
                if (args.Initiator != ShutdownInitiator.Application)
                {
                    _recovering = true;
                    LogConnectionLost(_logger, _options.Uri.Host, args.ReplyText);
                }
                return Task.CompletedTask;
            };
            connection.RecoverySucceededAsync += (_, _) =>
            {
                _recovering = false;
                LogConnectionRecovered(_logger, _options.Uri.Host);
                return Task.CompletedTask;
            };
            var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (setup.ConfigureAwait(false))
            {
                await setup.QueueDeclareAsync(_options.Queue, durable: true, exclusive: false, autoDelete: false, arguments: null,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            LogConnected(_logger, _options.Uri.Host, _options.Uri.Port, _options.Queue);
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<IChannel> PublishChannelAsync(CancellationToken cancellationToken)
    {
        if (_publishChannel is { IsOpen: true } open)
        {
            return open;
        }
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (_publishChannel is { } stale)
        {
            await stale.DisposeAsync().ConfigureAwait(false);
        }
        _publishChannel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
        return _publishChannel;
    }

    private async Task<ConsumerSession> OpenConsumerAsync(ushort prefetch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
                var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                var session = new ConsumerSession(channel, connection, () => _recovering, _logger);
                try
                {
                    await session.StartAsync(_options.Queue, prefetch, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                return session;
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
            {
                // Broker not there yet (worker started first) or gone: keep trying until cancelled.
                LogConsumerConnectFailed(_logger, _options.Uri.Host, attempt, ex.Message);
                await Task.Delay(_options.ReconnectInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job broker: connected to RabbitMQ at {Host}:{Port}, queue {Queue}")]
    private static partial void LogConnected(ILogger logger, string host, int port, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job broker: connection to RabbitMQ at {Host} lost ({Reason}); recovering")]
    private static partial void LogConnectionLost(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job broker: connection to RabbitMQ at {Host} recovered")]
    private static partial void LogConnectionRecovered(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job broker: cannot consume from RabbitMQ at {Host} (attempt {Attempt}): {Reason}")]
    private static partial void LogConsumerConnectFailed(ILogger logger, string host, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job broker: consumer of {Queue} ended ({Reason}); opening a new channel")]
    private static partial void LogConsumerRestart(ILogger logger, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job broker: depth of {Queue} unknown: {Reason}")]
    private static partial void LogDepthUnknown(ILogger logger, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job broker: dropped an unreadable message from {Queue} (delivery {Tag}): {Reason}")]
    private static partial void LogPoisonMessage(ILogger logger, string queue, ulong tag, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job broker: could not {Action} task {JobId}/{FirstIndex}: channel closed ({Reason}); RabbitMQ delivers it again")]
    private static partial void LogSettleFailed(ILogger logger, string action, string jobId, int firstIndex, string reason);

    /// <summary>
    /// One channel with one consumer; deliveries flow through an in-memory channel (RabbitMQ's prefetch bounds it).
    /// A lost connection is recovered by the client, channel and consumer included, so the session lives on; a
    /// watchdog ends it only when the connection is up (and not recovering) but the channel is closed or the consumer
    /// cancelled by the broker (queue deleted, channel error), which recovery does not repair.
    /// </summary>
    private sealed class ConsumerSession(IChannel channel, IConnection connection, Func<bool> recovering, ILogger logger) : IAsyncDisposable
    {
        private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

        private readonly Channel<IJobDelivery> _deliveries = Channel.CreateUnbounded<IJobDelivery>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _stop = new();
        private AsyncEventingBasicConsumer? _consumer;
        private Task _watchdog = Task.CompletedTask;
        private string _queue = string.Empty;
        private int _ended;

        public ChannelReader<IJobDelivery> Deliveries => _deliveries.Reader;

        public string? EndReason { get; private set; }

        public async Task StartAsync(string queue, ushort prefetch, CancellationToken cancellationToken)
        {
            _queue = queue;
            // Declared by every consumer (idempotent): a queue deleted meanwhile comes back.
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: null,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: prefetch, global: false, cancellationToken).ConfigureAwait(false);
            channel.ChannelShutdownAsync += (_, args) =>
            {
                // Our own close (or the broker instance's disposal) ends the session at once.
                if (args.Initiator == ShutdownInitiator.Application)
                {
                    End(args.ReplyText);
                }
                return Task.CompletedTask;
            };
            _consumer = new AsyncEventingBasicConsumer(channel);
            _consumer.ReceivedAsync += OnReceivedAsync;
            await channel.BasicConsumeAsync(queue, autoAck: false, _consumer, cancellationToken).ConfigureAwait(false);
            _watchdog = WatchAsync(_stop.Token);
        }

        private async Task WatchAsync(CancellationToken cancellationToken)
        {
            var deadTicks = 0;
            try
            {
                while (Volatile.Read(ref _ended) == 0)
                {
                    await Task.Delay(WatchInterval, cancellationToken).ConfigureAwait(false);
                    var dead = !recovering() && connection.IsOpen && (!channel.IsOpen || _consumer is { IsRunning: false });
                    deadTicks = dead ? deadTicks + 1 : 0;
                    if (deadTicks >= 2)
                    {
                        End(channel.CloseReason?.ReplyText ?? (channel.IsOpen ? "consumer cancelled by the broker" : "channel closed"));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        }

        private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
        {
            JobTask? task;
            string? error = null;
            try
            {
                // The body is only valid during this handler: deserialize now.
                task = JsonSerializer.Deserialize(args.Body.Span, JobTaskJsonContext.Default.JobTask);
                if (task is null || string.IsNullOrEmpty(task.JobId) || task.FirstIndex < 0 || task.Count < 1)
                {
                    error = "not a job task";
                    task = null;
                }
            }
            catch (JsonException ex)
            {
                error = ex.Message;
                task = null;
            }
            if (task is null)
            {
                // Poison message: reject without requeue (a dead-letter exchange, if configured, keeps it).
                LogPoisonMessage(logger, _queue, args.DeliveryTag, error ?? "empty");
                await channel.BasicRejectAsync(args.DeliveryTag, requeue: false, args.CancellationToken).ConfigureAwait(false);
                return;
            }
            var delivery = new RabbitMqJobDelivery(task, channel, args.DeliveryTag, args.Redelivered, logger);
            if (Volatile.Read(ref _ended) == 1 || !_deliveries.Writer.TryWrite(delivery))
            {
                // The session has ended (nobody reads): hand the task back and stop this consumer for good, so it
                // cannot keep taking tasks that no one processes.
                await delivery.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
                _ = CloseQuietlyAsync();
            }
        }

        private void End(string reason)
        {
            if (Interlocked.Exchange(ref _ended, 1) == 1)
            {
                return;
            }
            EndReason = reason;
            _deliveries.Writer.TryComplete();
        }

        private async Task CloseQuietlyAsync()
        {
            try
            {
                // Closing the channel hands every unacknowledged task back to the queue and removes the channel
                // (and its consumer) from automatic recovery.
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
            {
                // Already gone with its connection.
            }
        }

        public async ValueTask DisposeAsync()
        {
            End("stopped");
            await _stop.CancelAsync().ConfigureAwait(false);
            await _watchdog.ConfigureAwait(false);
            _stop.Dispose();
            await CloseQuietlyAsync().ConfigureAwait(false);
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A delivered task; settled (acknowledged or released) at most once.</summary>
    internal sealed class RabbitMqJobDelivery(JobTask task, IChannel channel, ulong deliveryTag, bool redelivered, ILogger logger) : IJobDelivery
    {
        private int _settled;

        public JobTask Task => task;

        /// <summary>RabbitMQ delivered this task before (to a consumer that did not acknowledge it).</summary>
        public bool Redelivered => redelivered;

        public ValueTask AckAsync(CancellationToken cancellationToken) =>
            SettleAsync("acknowledge", ct => channel.BasicAckAsync(deliveryTag, multiple: false, ct), cancellationToken);

        public ValueTask ReleaseAsync(CancellationToken cancellationToken) =>
            SettleAsync("release", ct => channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true, ct), cancellationToken);

        private async ValueTask SettleAsync(string action, Func<CancellationToken, ValueTask> settle, CancellationToken cancellationToken)
        {
            // A second ack of one delivery tag would make the broker close the channel (PRECONDITION_FAILED).
            if (Interlocked.Exchange(ref _settled, 1) == 1)
            {
                return;
            }
            try
            {
                await settle(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
            {
                // The channel is gone (closed, or disposed with its consumer), and with it the delivery: the broker has put the task back on the queue.
                LogSettleFailed(logger, action, task.JobId, task.FirstIndex, ex.Message);
            }
        }
    }
}

/// <summary>The wire form of a <see cref="JobTask"/>: <c>{"jobId":"…","firstIndex":0,"count":32}</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JobTask))]
internal sealed partial class JobTaskJsonContext : JsonSerializerContext;
