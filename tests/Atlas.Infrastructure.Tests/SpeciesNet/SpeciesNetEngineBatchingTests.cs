using System.Text.Json;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Atlas.Infrastructure.Tests.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;
using static Atlas.Infrastructure.Tests.SpeciesNet.MicroBatcherTests;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>
/// Micro-batching through the engine on the demo models: concurrent requests answered from shared detector and
/// classifier runs get exactly (bit for bit, as JSON round-trips doubles) what they get one at a time. The test holds
/// one extra announced caller per batcher until every request is inside it, so the batch composition is fixed and
/// the one-hour window is never what ends a wait.
/// </summary>
[TestFixture]
public sealed class SpeciesNetEngineBatchingTests
{
    private static readonly GeoLocation NoLocation = new(null, null, null, null);
    private static readonly MicroBatching HourWindow = new(TimeSpan.FromHours(1), 8);

    /// <summary>Six pictures with different colours and places; <paramref name="mixed"/> gives three letterbox shapes.</summary>
    private static byte[][] Pictures(bool mixed)
    {
        var sizes = mixed
            ? new[] { (1280, 960), (960, 1280), (1280, 720), (1280, 960), (960, 1280), (1280, 720) }
            : Enumerable.Repeat((1280, 960), 6).ToArray();
        var fills = new[] { DemoColours.Red, DemoColours.Green, DemoColours.Orange, DemoColours.Red, DemoColours.Green, DemoColours.Orange };
        return sizes.Select((size, i) => TestImages.WithRect(size.Item1, size.Item2, DemoColours.Grey.Rgb(), fills[i].Rgb(),
            new SKRectI(64 + (i * 70), 96 + (i * 40), 400 + (i * 70), 420 + (i * 40)))).ToArray();
    }

    private static SpeciesNetEngine Engine(TestBundle bundle, MicroBatching batching) =>
        new(ModelBundle.LoadDirectory(bundle.Directory), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance, batching);

    private static string Json(ImageAnalysis analysis) => JsonSerializer.Serialize(analysis);

    private static string[] OneAtATime(TestBundle bundle, byte[][] pictures)
    {
        using var engine = Engine(bundle, MicroBatching.Off);
        return [.. pictures.Select(p => Json(engine.Analyze(p, NoLocation, AnalysisOptions.Default, CancellationToken.None)))];
    }

    private static string[] Together(SpeciesNetEngine engine, byte[][] pictures)
    {
        var holdDetector = engine.DetectorBatcher?.Expect();
        var holdClassifier = engine.ClassifierBatcher?.Expect();
        try
        {
            var tasks = pictures.Select(p => Start(() => Json(engine.Analyze(p, NoLocation, AnalysisOptions.Default, CancellationToken.None)))).ToArray();
            if (engine.DetectorBatcher is { } detector)
            {
                WaitUntil(() => detector.Entered == pictures.Length);
                holdDetector!.Dispose();
            }
            if (engine.ClassifierBatcher is { } classifier)
            {
                WaitUntil(() => classifier.Entered == pictures.Length);
                holdClassifier!.Dispose();
            }
            Assert.That(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)), Is.True);
            return [.. tasks.Select(t => t.Result)];
        }
        finally
        {
            holdDetector?.Dispose();
            holdClassifier?.Dispose();
        }
    }

    [TestCase(false, 1)]
    [TestCase(true, 3)]
    public void ConcurrentRequests_ShareRuns_AndAnswerExactlyAsAlone(bool mixedShapes, int shapes)
    {
        using var bundle = TestBundle.FromDemo();
        var pictures = Pictures(mixedShapes);
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, HourWindow);

        var together = Together(engine, pictures);

        Assert.That(engine.DetectorBatched && engine.ClassifierBatched, Is.True);
        Assert.That(together, Is.EqualTo(alone));
        Assert.That(alone.Distinct().Count(), Is.GreaterThan(1), "the pictures should not all give the same answer");
        // One detector run per letterbox shape, one classifier run for all six crops.
        Assert.That(engine.DetectorBatchStats, Is.EqualTo(((long)shapes, 6L)));
        Assert.That(engine.ClassifierBatchStats, Is.EqualTo((1L, 6L)));
    }

    [Test]
    public void MaxBatchSize_SplitsTheCrops()
    {
        using var bundle = TestBundle.FromDemo();
        var pictures = Pictures(mixed: false);
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, new MicroBatching(TimeSpan.FromHours(1), 4));

        Assert.That(Together(engine, pictures), Is.EqualTo(alone));
        Assert.That(engine.DetectorBatchStats, Is.EqualTo((2L, 6L)));
        Assert.That(engine.ClassifierBatchStats, Is.EqualTo((2L, 6L)));
    }

    [Test]
    public void UnsetWindow_OnTheCpuProvider_TurnsBatchingOff_AnExplicitOneKeepsIt()
    {
        using var bundle = TestBundle.FromDemo();
        var unset = MicroBatching.From(new SpeciesNetOptions());
        Assert.That(unset.GpuOnly, Is.True);
        Assert.That(unset.Window, Is.EqualTo(MicroBatching.GpuDefaultWindow));
        Assert.That(unset.For("CUDAExecutionProvider"), Is.SameAs(unset));
        Assert.That(unset.For("CPUExecutionProvider"), Is.SameAs(MicroBatching.Off));

        using (var engine = Engine(bundle, unset))
        {
            Assert.That(engine.ExecutionProvider, Is.EqualTo("CPUExecutionProvider"));
            Assert.That(engine.DetectorBatched || engine.ClassifierBatched, Is.False);
        }

        var set = MicroBatching.From(new SpeciesNetOptions { BatchWindowMs = 2 });
        Assert.That(set.GpuOnly, Is.False);
        using (var engine = Engine(bundle, set))
        {
            Assert.That(engine.DetectorBatched && engine.ClassifierBatched, Is.True);
        }

        Assert.That(MicroBatching.From(new SpeciesNetOptions { BatchWindowMs = 0 }).Enabled, Is.False);
    }

    [Test]
    public void FixedBatchDetector_RunsAlone_WhileTheClassifierStillBatches()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.DetectorFile] = DemoDetectorModel.Build(dynamicBatch: false));
        var pictures = Pictures(mixed: true);
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, HourWindow);

        var together = Together(engine, pictures);

        Assert.That(engine.DetectorBatched, Is.False);
        Assert.That(engine.ClassifierBatched, Is.True);
        Assert.That(together, Is.EqualTo(alone));
        Assert.That(engine.ClassifierBatchStats, Is.EqualTo((1L, 6L)));
    }

    [Test]
    public void DetectorThatCannotRunTheBatchItDeclares_FallsBackToSingleRuns()
    {
        // Declares a dynamic batch but reshapes to [1, 8, -1] inside: a batch of 2 comes back as [1, 2N, 8].
        var liar = TestModels.WithOutputShape(
            TestModels.WithInputShape(DemoDetectorModel.Build(dynamicBatch: false), "batch", 3, "height", "width"), "batch", "cells", 8);
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.DetectorFile] = liar);
        var pictures = Pictures(mixed: false)[..3];
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, HourWindow);

        var together = Together(engine, pictures);

        Assert.That(engine.DetectorBatched, Is.True);
        Assert.That(engine.DetectorBatchStats, Is.EqualTo((1L, 3L)));
        Assert.That(together, Is.EqualTo(alone));
    }

    [Test]
    public void FixedBatchClassifier_RunsAlone()
    {
        using var bundle = TestBundle.FromDemo(files =>
            files[DemoBundle.ClassifierFile] = TestModels.WithInputShape(files[DemoBundle.ClassifierFile]!, 1, 480, 480, 3));
        var pictures = Pictures(mixed: false);
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, HourWindow);

        var together = Together(engine, pictures);

        Assert.That(engine.ClassifierBatched, Is.False);
        Assert.That(engine.DetectorBatched, Is.True);
        Assert.That(together, Is.EqualTo(alone));
    }

    [Test]
    public void LoneRequest_WithAnHourWindow_DoesNotWait()
    {
        using var bundle = TestBundle.FromDemo();
        using var engine = Engine(bundle, HourWindow);
        var picture = Pictures(mixed: false)[0];

        var task = Start(() => engine.Analyze(picture, NoLocation, AnalysisOptions.Default, CancellationToken.None));

        Assert.That(task.Wait(TimeSpan.FromSeconds(60)), Is.True, "a lone request waited for the batching window");
        Assert.That(task.Result.Prediction.Failures, Is.Empty);
        Assert.That(engine.DetectorBatchStats, Is.EqualTo((1L, 1L)));
    }

    [Test]
    public void CancelledRequest_WhileWaitingForABatch_LeavesTheOthersIntact()
    {
        using var bundle = TestBundle.FromDemo();
        var pictures = Pictures(mixed: false)[..3];
        var alone = OneAtATime(bundle, pictures);
        using var engine = Engine(bundle, HourWindow);
        var detector = engine.DetectorBatcher!;
        var hold = detector.Expect();
        using var cancel = new CancellationTokenSource();

        var kept = pictures[..2].Select(p => Start(() => Json(engine.Analyze(p, NoLocation, AnalysisOptions.Default, CancellationToken.None)))).ToArray();
        var cancelled = Start(() => Json(engine.Analyze(pictures[2], NoLocation, AnalysisOptions.Default, cancel.Token)));
        WaitUntil(() => detector.Inside == 3);
        cancel.Cancel();
        Assert.That(() => cancelled.Wait(TimeSpan.FromSeconds(60)), Throws.InnerException.InstanceOf<OperationCanceledException>());
        hold.Dispose();

        Assert.That(Task.WaitAll(kept, TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(kept.Select(t => t.Result), Is.EqualTo(alone[..2]));
        Assert.That(engine.DetectorBatchStats, Is.EqualTo((1L, 2L)));
    }
}
