using Atlas.Application.Behaviors;
using Atlas.Application.Inference;
using Atlas.Domain.Errors;
using Mediator;
using Microsoft.Extensions.Options;
using Moq;

namespace Atlas.Application.Tests.Inference;

[TestFixture]
public sealed class InferenceGateTests
{
    private static InferenceGate Gate(int slots, int queue) =>
        new(Options.Create(new InferenceGateOptions { MaxConcurrentInferences = slots, InferenceQueueLimit = queue }));

    [Test]
    public async Task EnterAsync_SlotsAndQueueFull_ThrowsServiceUnavailableWithRetryAfter()
    {
        using var gate = Gate(1, 1);
        using var held = await gate.EnterAsync(CancellationToken.None);
        var waiting = gate.EnterAsync(CancellationToken.None).AsTask();

        var refused = Assert.ThrowsAsync<ServiceUnavailableException>(async () => await gate.EnterAsync(CancellationToken.None));

        Assert.That(refused!.RetryAfter, Is.Not.Null.And.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
        Assert.That(gate.InFlight, Is.EqualTo(1));
        Assert.That(gate.Queued, Is.EqualTo(1));
        Assert.That(waiting.IsCompleted, Is.False);
        held.Dispose();
        using var second = await waiting;
        Assert.That(gate.InFlight, Is.EqualTo(1));
        Assert.That(gate.Queued, Is.Zero);
    }

    [Test]
    public async Task EnterAsync_NoQueue_RefusesAsSoonAsSlotsAreBusy()
    {
        using var gate = Gate(2, 0);
        using var a = await gate.EnterAsync(CancellationToken.None);
        using var b = await gate.EnterAsync(CancellationToken.None);

        Assert.ThrowsAsync<ServiceUnavailableException>(async () => await gate.EnterAsync(CancellationToken.None));
    }

    [Test]
    public async Task EnterAsync_WaiterCancelled_LeavesTheQueue()
    {
        using var gate = Gate(1, 1);
        using var held = await gate.EnterAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = gate.EnterAsync(cts.Token).AsTask();

        await cts.CancelAsync();

        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(gate.Queued, Is.Zero);
        held.Dispose();
        using var next = await gate.EnterAsync(CancellationToken.None);
        Assert.That(gate.InFlight, Is.EqualTo(1));
    }

    [Test]
    public async Task Slot_DisposedTwice_ReleasesOnce()
    {
        using var gate = Gate(1, 0);
        var slot = await gate.EnterAsync(CancellationToken.None);

        slot.Dispose();
        slot.Dispose();

        using var a = await gate.EnterAsync(CancellationToken.None);
        Assert.ThrowsAsync<ServiceUnavailableException>(async () => await gate.EnterAsync(CancellationToken.None));
    }

    public sealed record Inference : ICommand<int>, IInferenceRequest;

    public sealed record Other : ICommand<int>;

    [Test]
    public async Task Behavior_InferenceRequest_HoldsASlotWhileTheHandlerRuns()
    {
        var gate = new Mock<IInferenceGate>(MockBehavior.Strict);
        var slot = new Mock<IDisposable>();
        gate.Setup(g => g.EnterAsync(It.IsAny<CancellationToken>())).ReturnsAsync(slot.Object);
        var behavior = new InferenceGateBehavior<Inference, int>(gate.Object);

        var result = await behavior.Handle(new Inference(), (_, _) =>
        {
            slot.Verify(s => s.Dispose(), Times.Never);
            return ValueTask.FromResult(7);
        }, CancellationToken.None);

        Assert.That(result, Is.EqualTo(7));
        slot.Verify(s => s.Dispose(), Times.Once);
    }

    [Test]
    public async Task Behavior_OtherRequest_PassesStraightThrough()
    {
        var gate = new Mock<IInferenceGate>(MockBehavior.Strict);
        var behavior = new InferenceGateBehavior<Other, int>(gate.Object);

        var result = await behavior.Handle(new Other(), (_, _) => ValueTask.FromResult(3), CancellationToken.None);

        Assert.That(result, Is.EqualTo(3));
        gate.VerifyNoOtherCalls();
    }
}
