using Atlas.Infrastructure.SpeciesNet;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>
/// The leader/follower protocol of <see cref="MicroBatcher{TInput,TOutput}"/> without ONNX Runtime. Windows are an
/// hour long, so a test that passes cannot have waited for one: batching is driven by the announced callers
/// (<c>Expect</c>), which makes every batch composition deterministic.
/// </summary>
[TestFixture]
public sealed class MicroBatcherTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class Recorder
    {
        private readonly Lock _gate = new();
        public List<int[]> Batches { get; } = [];

        public int[] Square(long key, IReadOnlyList<int> items)
        {
            lock (_gate) Batches.Add([.. items]);
            return items.Select(i => (i * i) + (int)key).ToArray();
        }
    }

    /// <summary>On its own thread: callers block in the batcher, and pool threads would be injected only slowly.</summary>
    internal static Task<T> Start<T>(Func<T> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    internal static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("condition not reached within 30 s");
            Thread.Sleep(1);
        }
    }

    [Test]
    public void LoneCaller_AnnouncedOrNot_DoesNotWaitForTheWindow()
    {
        var recorder = new Recorder();
        var batcher = new MicroBatcher<int, int>(Hour, 8, recorder.Square);

        var announced = Start(() =>
        {
            using var turn = batcher.Expect();
            return batcher.Run(0, 3, CancellationToken.None);
        });
        Assert.That(announced.Wait(Patience), Is.True, "a lone announced caller waited for the one-hour window");
        Assert.That(announced.Result, Is.EqualTo(9));

        var unannounced = Start(() => batcher.Run(0, 4, CancellationToken.None));
        Assert.That(unannounced.Wait(Patience), Is.True, "a lone unannounced caller waited for the one-hour window");
        Assert.That(unannounced.Result, Is.EqualTo(16));
        Assert.That(recorder.Batches.Select(b => b.Length), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void AnnouncedCallers_OfOneKey_ShareOneRun()
    {
        var recorder = new Recorder();
        var batcher = new MicroBatcher<int, int>(Hour, 8, recorder.Square);
        var turns = Enumerable.Range(0, 4).Select(_ => batcher.Expect()).ToArray();

        var tasks = Enumerable.Range(1, 4).Select(i => Start(() =>
        {
            using var turn = turns[i - 1];
            return batcher.Run(0, i, CancellationToken.None);
        })).ToArray();

        Assert.That(Task.WaitAll(tasks, Patience), Is.True);
        Assert.That(tasks.Select(t => t.Result), Is.EqualTo(new[] { 1, 4, 9, 16 }));
        Assert.That(recorder.Batches, Has.Count.EqualTo(1));
        Assert.That(recorder.Batches[0], Is.EquivalentTo(new[] { 1, 2, 3, 4 }));
        Assert.That((batcher.BatchesRun, batcher.ItemsRun), Is.EqualTo((1L, 4L)));
    }

    [Test]
    public void DifferentKeys_NeverShareARun_AndFullBatchesGoAtOnce()
    {
        var recorder = new Recorder();
        var batcher = new MicroBatcher<int, int>(Hour, 2, recorder.Square);
        var turns = Enumerable.Range(0, 6).Select(_ => batcher.Expect()).ToArray();

        // Keys 0 (values 1..3) and 100 (values 4..6): batches of at most 2, each of one key.
        var tasks = Enumerable.Range(1, 6).Select(i => Start(() =>
        {
            using var turn = turns[i - 1];
            return batcher.Run(i <= 3 ? 0 : 100, i, CancellationToken.None);
        })).ToArray();

        Assert.That(Task.WaitAll(tasks, Patience), Is.True);
        Assert.That(tasks.Select(t => t.Result), Is.EqualTo(new[] { 1, 4, 9, 116, 125, 136 }));
        Assert.That(recorder.Batches.All(b => b.Length <= 2), Is.True);
        Assert.That(recorder.Batches.All(b => b.All(v => v <= 3) || b.All(v => v > 3)), Is.True, "a batch mixed keys");
        Assert.That(recorder.Batches.Sum(b => b.Length), Is.EqualTo(6));
    }

    [Test]
    public void CancelledFollower_LeavesAtOnce_AndTheOthersStillRun()
    {
        var recorder = new Recorder();
        var batcher = new MicroBatcher<int, int>(Hour, 8, recorder.Square);
        var late = batcher.Expect(); // a third caller that is announced but never arrives while the others wait
        using var cancel = new CancellationTokenSource();

        var leader = Start(() => { using var t = batcher.Expect(); return batcher.Run(0, 2, CancellationToken.None); });
        WaitUntil(() => batcher.Inside == 1);
        var follower = Start(() => { using var t = batcher.Expect(); return batcher.Run(0, 3, cancel.Token); });
        WaitUntil(() => batcher.Inside == 2);

        cancel.Cancel();
        Assert.That(() => follower.Wait(Patience), Throws.InnerException.InstanceOf<OperationCanceledException>());
        Assert.That(leader.IsCompleted, Is.False, "the leader still waits for the announced third caller");

        late.Dispose();
        Assert.That(leader.Wait(Patience), Is.True);
        Assert.That(leader.Result, Is.EqualTo(4));
        Assert.That(recorder.Batches.Single(), Is.EqualTo(new[] { 2 }), "the cancelled caller was put into the batch");
    }

    [Test]
    public void CancelledLeader_HandsTheBatchToAFollower()
    {
        var recorder = new Recorder();
        var batcher = new MicroBatcher<int, int>(Hour, 8, recorder.Square);
        var late = batcher.Expect();
        using var cancel = new CancellationTokenSource();

        var leader = Start(() => { using var t = batcher.Expect(); return batcher.Run(0, 2, cancel.Token); });
        WaitUntil(() => batcher.Inside == 1);
        var follower = Start(() => { using var t = batcher.Expect(); return batcher.Run(0, 3, CancellationToken.None); });
        WaitUntil(() => batcher.Inside == 2);

        cancel.Cancel();
        Assert.That(() => leader.Wait(Patience), Throws.InnerException.InstanceOf<OperationCanceledException>());
        late.Dispose();
        Assert.That(follower.Wait(Patience), Is.True);
        Assert.That(follower.Result, Is.EqualTo(9));
        Assert.That(recorder.Batches.Single(), Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void FailingBatch_FailsItsMembers_ThenTheBatcherWorksOn()
    {
        var fail = true;
        var batcher = new MicroBatcher<int, int>(Hour, 8, (_, items) => fail ? throw new InvalidOperationException("boom") : items.ToArray());
        var turns = new[] { batcher.Expect(), batcher.Expect() };

        var tasks = Enumerable.Range(0, 2).Select(i => Start(() => { using var t = turns[i]; return batcher.Run(0, i, CancellationToken.None); })).ToArray();

        foreach (var task in tasks)
        {
            var thrown = Assert.Throws<AggregateException>(() => task.Wait(Patience));
            Assert.That(thrown!.InnerException, Is.InstanceOf<BatchRunException>());
            Assert.That(thrown.InnerException!.InnerException!.Message, Is.EqualTo("boom"));
        }

        fail = false;
        Assert.That(batcher.Run(0, 7, CancellationToken.None), Is.EqualTo(7));
    }

    [Test]
    public void LoneFailure_SurfacesTheModelsOwnException()
    {
        var batcher = new MicroBatcher<int, int>(Hour, 8, (_, _) => throw new InvalidOperationException("boom"));

        Assert.That(() => batcher.Run(0, 1, CancellationToken.None), Throws.InvalidOperationException.With.Message.EqualTo("boom"));
    }
}
