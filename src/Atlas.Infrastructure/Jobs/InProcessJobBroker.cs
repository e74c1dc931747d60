using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Atlas.Domain.Jobs;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// The embedded default broker: an unbounded in-memory channel. Nothing survives the process, which is why the
/// worker re-enqueues the pending images of unfinished jobs from the (durable) store when it starts. Prefetch is a
/// semaphore: a consumer holds at most that many unacknowledged deliveries; a released one goes back on the channel.
/// </summary>
public sealed class InProcessJobBroker : IJobBroker
{
    private readonly Channel<JobTask> _channel = Channel.CreateUnbounded<JobTask>(new UnboundedChannelOptions { SingleReader = false });

    public ValueTask EnqueueAsync(JobTask task, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(task, cancellationToken);

    public async IAsyncEnumerable<IJobDelivery> ConsumeAsync(int prefetch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var window = new SemaphoreSlim(Math.Max(1, prefetch));
        while (true)
        {
            await window.WaitAsync(cancellationToken).ConfigureAwait(false);
            JobTask task;
            try
            {
                task = await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                window.Release();
                throw;
            }
            yield return new Delivery(this, task, window);
        }
    }

    public ValueTask<long?> DepthAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(_channel.Reader.Count);

    private sealed class Delivery(InProcessJobBroker broker, JobTask task, SemaphoreSlim window) : IJobDelivery
    {
        private int _settled;

        public JobTask Task { get; } = task;

        public ValueTask AckAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _settled, 1) == 0) window.Release();
            return ValueTask.CompletedTask;
        }

        public async ValueTask ReleaseAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _settled, 1) != 0) return;
            window.Release();
            await broker.EnqueueAsync(Task, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
