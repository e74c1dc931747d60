using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// Gathers concurrent single-item model calls into one batched call, without a timer thread. The first caller of
/// a group (same <c>key</c>: e.g. the same letterbox shape) becomes its leader; later callers of that group wait
/// for the leader to hand them their result. The leader runs the batch (itself included) as soon as
/// <list type="bullet">
/// <item>the batch is full (<see cref="MaxBatchSize"/>), or</item>
/// <item>nobody else can join: every caller announced with <see cref="Expect"/> is already waiting in a batch or
/// running one (so a lone request runs at once and never waits for the window), or</item>
/// <item>no batch of its group is running and <see cref="Window"/> has passed since it became leader.</item>
/// </list>
/// While a batch of the same group runs, the leader keeps gathering (the model is busy anyway): under load each
/// batch takes whatever arrived during the previous one. Callers that never call <see cref="Expect"/> are not
/// waited for.
/// <para>
/// Cancellation: a caller whose token fires while it is still waiting to be picked leaves at once with
/// <see cref="OperationCanceledException"/>; one already picked waits for its batch (its input buffer is being
/// read) and gets the result, which the caller then discards. A cancelled caller is never put into a batch, and
/// a failing batch fails only its members. Thread-safe.
/// </para>
/// </summary>
/// <typeparam name="TInput">One item (its buffer must stay valid until <see cref="Run"/> returns).</typeparam>
/// <typeparam name="TOutput">The result for one item; it must not need disposing (a result may be dropped).</typeparam>
public sealed class MicroBatcher<TInput, TOutput>
{
    private readonly Func<long, IReadOnlyList<TInput>, IReadOnlyList<TOutput>> _runBatch;
    // Monitor (not System.Threading.Lock): waiting and pulsing need Monitor.Wait/PulseAll.
    private readonly object _gate = new();
    private readonly Dictionary<long, Group> _groups = [];
    private int _expected;
    private int _inside;
    private long _entered;

    /// <param name="window">Longest a leader waits for others (zero: only requests already queued are batched).</param>
    /// <param name="maxBatchSize">Most items per batch (at least 1).</param>
    /// <param name="runBatch">Runs the items of one group (all with the same key) in one call; returns one result per item, in order.</param>
    public MicroBatcher(TimeSpan window, int maxBatchSize, Func<long, IReadOnlyList<TInput>, IReadOnlyList<TOutput>> runBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        ArgumentNullException.ThrowIfNull(runBatch);
        Window = window;
        MaxBatchSize = maxBatchSize;
        _runBatch = runBatch;
    }

    /// <summary>Longest a leader waits for others to join.</summary>
    public TimeSpan Window { get; }

    /// <summary>Most items per batch.</summary>
    public int MaxBatchSize { get; }

    /// <summary>Batches run so far (for tests and metrics).</summary>
    public long BatchesRun { get; private set; }

    /// <summary>Items run so far; <c>ItemsRun / BatchesRun</c> is the mean batch size.</summary>
    public long ItemsRun { get; private set; }

    /// <summary>Calls of <see cref="Run"/> so far, for tests.</summary>
    internal long Entered
    {
        get { lock (_gate) return _entered; }
    }

    /// <summary>Callers inside <see cref="Run"/> now (waiting or running), for tests.</summary>
    internal int Inside
    {
        get { lock (_gate) return _inside; }
    }

    /// <summary>Test seam: called (outside the lock) with each batch size just before the batch runs.</summary>
    internal Action<int>? BeforeBatch { get; set; }

    /// <summary>
    /// Announces a caller that will (probably) call <see cref="Run"/> soon; leaders wait for announced callers (up to
    /// the window). Dispose the answer once this caller has run, or has decided not to (failure, other mode).
    /// </summary>
    public IDisposable Expect()
    {
        lock (_gate) _expected++;
        return new Expectation(this);
    }

    /// <summary>Runs <paramref name="input"/>, batched with the concurrent calls of the same <paramref name="key"/>.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before it was put into a batch.</exception>
    public TOutput Run(long key, TInput input, CancellationToken cancellationToken)
    {
        var entry = new Entry(input, cancellationToken);
        Group group;
        lock (_gate)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_groups.TryGetValue(key, out group!))
            {
                group = new Group(key);
                _groups.Add(key, group);
            }
            group.Pending.Add(entry);
            _inside++;
            _entered++;
            if (group.Leader is null) MakeLeader(group, entry);
            Monitor.PulseAll(_gate);
        }

        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(Wake) : default;
        try
        {
            return Wait(group, entry);
        }
        finally
        {
            lock (_gate)
            {
                _inside--;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private TOutput Wait(Group group, Entry entry)
    {
        List<Entry>? batch = null;
        lock (_gate)
        {
            while (true)
            {
                if (entry.Done) return entry.Result(group.Key);
                if (!entry.Taken && entry.Token.IsCancellationRequested)
                {
                    Leave(group, entry);
                    entry.Token.ThrowIfCancellationRequested();
                }

                TimeSpan? sleep = null;
                if (group.Leader == entry)
                {
                    if (ShouldRun(group, out sleep))
                    {
                        batch = Take(group);
                        break;
                    }
                }

                if (sleep is { } timeout) Monitor.Wait(_gate, timeout);
                else Monitor.Wait(_gate);
            }
        }

        Execute(group, batch);
        lock (_gate)
        {
            group.Running--;
            if (group.Pending.Count == 0 && group.Running == 0 && group.Leader is null) _groups.Remove(group.Key);
            Monitor.PulseAll(_gate);
        }
        return entry.Result(group.Key);
    }

    /// <summary>Whether the leader should run now; if not, how long it may sleep before checking again (null: until woken).</summary>
    private bool ShouldRun(Group group, out TimeSpan? wait)
    {
        wait = null;
        var ready = 0;
        foreach (var member in group.Pending)
        {
            if (!member.Token.IsCancellationRequested) ready++;
        }
        if (ready >= MaxBatchSize) return true;
        // Announced callers not yet inside Run: nobody else can join when there are none.
        if (_expected - _inside <= 0) return true;
        if (group.Running > 0) return false;
        var left = Window - Stopwatch.GetElapsedTime(group.LeaderSince);
        if (left <= TimeSpan.Zero) return true;
        wait = left;
        return false;
    }

    private List<Entry> Take(Group group)
    {
        // Cancelled callers stay behind: they wake up and leave on their own.
        var batch = new List<Entry>(Math.Min(MaxBatchSize, group.Pending.Count));
        foreach (var member in group.Pending)
        {
            if (batch.Count == MaxBatchSize) break;
            if (member.Token.IsCancellationRequested && member != group.Leader) continue;
            member.Taken = true;
            batch.Add(member);
        }
        group.Pending.RemoveAll(member => member.Taken);
        var count = batch.Count;
        group.Running++;
        group.Leader = null;
        if (group.Pending.Count > 0) MakeLeader(group, group.Pending[0]);
        BatchesRun++;
        ItemsRun += count;
        Monitor.PulseAll(_gate);
        return batch;
    }

    private void Execute(Group group, List<Entry> batch)
    {
        try
        {
            BeforeBatch?.Invoke(batch.Count);
            var inputs = new TInput[batch.Count];
            for (var i = 0; i < inputs.Length; i++) inputs[i] = batch[i].Input;
            var outputs = _runBatch(group.Key, inputs);
            if (outputs.Count != batch.Count)
                throw new InvalidOperationException($"A batch of {batch.Count} returned {outputs.Count} results.");
            lock (_gate)
            {
                for (var i = 0; i < batch.Count; i++) batch[i].Complete(outputs[i], null, single: false);
            }
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                foreach (var member in batch) member.Complete(default, ex, single: batch.Count == 1);
            }
        }
    }

    private void Leave(Group group, Entry entry)
    {
        group.Pending.Remove(entry);
        if (group.Leader == entry)
        {
            group.Leader = null;
            if (group.Pending.Count > 0) MakeLeader(group, group.Pending[0]);
        }
        if (group.Pending.Count == 0 && group.Running == 0 && group.Leader is null) _groups.Remove(group.Key);
        Monitor.PulseAll(_gate);
    }

    private static void MakeLeader(Group group, Entry entry)
    {
        group.Leader = entry;
        group.LeaderSince = Stopwatch.GetTimestamp();
    }

    private void Wake()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private void Unexpect()
    {
        lock (_gate)
        {
            _expected--;
            Monitor.PulseAll(_gate);
        }
    }

    private sealed class Group(long key)
    {
        public long Key { get; } = key;
        public List<Entry> Pending { get; } = [];
        public Entry? Leader { get; set; }
        public long LeaderSince { get; set; }
        public int Running { get; set; }
    }

    private sealed class Entry(TInput input, CancellationToken token)
    {
        private TOutput? _output;
        private Exception? _failure;
        private bool _alone;

        public TInput Input { get; } = input;
        public CancellationToken Token { get; } = token;
        public bool Taken { get; set; }
        public bool Done { get; private set; }

        public void Complete(TOutput? output, Exception? failure, bool single)
        {
            _output = output;
            _failure = failure;
            _alone = single;
            Done = true;
        }

        public TOutput Result(long key)
        {
            if (_failure is not null)
            {
                // Alone in its batch: the caller sees the model's own exception, as without batching.
                if (_alone) ExceptionDispatchInfo.Capture(_failure).Throw();
                // Every member sees the same exception object; wrap it so each gets its own stack trace.
                throw _failure is OperationCanceledException
                    ? new OperationCanceledException(_failure.Message, _failure)
                    : new BatchRunException($"The batched model run (group {key}) failed: {_failure.Message}", _failure);
            }
            return _output!;
        }
    }

    private sealed class Expectation(MicroBatcher<TInput, TOutput> owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unexpect();
        }
    }
}

/// <summary>A batched model run failed; <see cref="Exception.InnerException"/> is the model's own error.</summary>
public sealed class BatchRunException : Exception
{
    public BatchRunException() { }
    public BatchRunException(string message) : base(message) { }
    public BatchRunException(string message, Exception innerException) : base(message, innerException) { }
}
