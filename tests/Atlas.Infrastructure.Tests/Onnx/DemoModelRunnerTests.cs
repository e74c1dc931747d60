#pragma warning disable CA1861 // expected values written inline in assertions read better than static fields
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;

namespace Atlas.Infrastructure.Tests.Onnx;

[TestFixture]
public sealed class DemoModelRunnerTests
{
    private DetectorRunner _detector = null!;
    private ClassifierRunner _classifier = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        var factory = new OnnxSessionFactory(
            new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, new ListLogger<OnnxSessionFactory>());
        _detector = new DetectorRunner(factory.Create(DemoDetectorModel.Build(), "demo/detector.onnx"));
        _classifier = new ClassifierRunner(factory.Create(DemoClassifierModel.Build(), "demo/classifier.onnx"), DemoLabels.Classifier.Count);
        _detector.WarmUp(128, 128);
        _classifier.WarmUp();
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        _detector.Dispose();
        _classifier.Dispose();
    }

    [Test]
    public void DetectorRun_RedImage_EveryCellIsAnAnimalRowAtItsCentre()
    {
        using var output = _detector.Run(OnnxTestHelpers.Nchw(128, 192, 1f, 0f, 0f), 128, 192);

        Assert.That(output.Rows, Is.EqualTo(6));
        Assert.That(output.Columns, Is.EqualTo(8));
        for (var i = 0; i < output.Rows; i++)
        {
            var row = output.Row(i).ToArray();
            var (cellRow, cellCol) = (i / 3, i % 3);
            Assert.That(row[..4], Is.EqualTo(new[] { cellCol * 64 + 32f, cellRow * 64 + 32f, 64f, 64f }), $"row {i}");
            Assert.That(row[4], Is.EqualTo(0.99753f).Within(1e-5), "objectness");
            Assert.That(row[5], Is.GreaterThan(0.9999f), "p(animal)");
            Assert.That(row[6] + row[7], Is.LessThan(1e-4f));
        }
    }

    [TestCase(0f, 0f, 0f)]
    [TestCase(0.447f, 0.447f, 0.447f)]
    [TestCase(0.5f, 0.5f, 0.5f)]
    [TestCase(1f, 1f, 1f)]
    public void DetectorRun_NeutralImage_NoRowAboveThreshold(float r, float g, float b)
    {
        using var output = _detector.Run(OnnxTestHelpers.Nchw(960, 1280, r, g, b), 960, 1280);

        Assert.That(output.Rows, Is.EqualTo(300));
        for (var i = 0; i < output.Rows; i++)
        {
            var row = output.Row(i);
            var best = MathF.Max(row[5], MathF.Max(row[6], row[7]));
            Assert.That(row[4] * best, Is.LessThanOrEqualTo(0.01f), $"row {i}");
            Assert.That(row[4], Is.LessThanOrEqualTo(0.01f), $"row {i}");
        }
    }

    [Test]
    public void DetectorRun_OneColouredCell_OnlyThatRowIsDetected()
    {
        var image = OnnxTestHelpers.Nchw(192, 256, 0.5f, 0.5f, 0.5f);
        OnnxTestHelpers.PaintCell(image, 192, 256, row: 2, col: 1, 0f, 0f, 1f);

        using var output = _detector.Run(image, 192, 256);

        var detected = Enumerable.Range(0, output.Rows).Where(i => output.Row(i)[4] > 0.01f).ToArray();
        Assert.That(detected, Is.EqualTo(new[] { 2 * 4 + 1 }));
        var row = output.Row(detected[0]).ToArray();
        Assert.That(row[..4], Is.EqualTo(new[] { 96f, 160f, 64f, 64f }));
        Assert.That(row[7], Is.GreaterThan(0.9999f), "p(vehicle)");
    }

    // Saturations s picked so that objectness = sigmoid(12(s-0.5)) = 0.9, 0.3, 0.1; dominant channel picks the class.
    [TestCase(0.683f, 0f, 0f, 5, 0.9f)]
    [TestCase(0.2f, 0.6294f, 0.2f, 6, 0.3f)]
    [TestCase(0.1f, 0.1f, 0.4169f, 7, 0.1f)]
    public void DetectorRun_ColourIntensity_SteersConfidence(float r, float g, float b, int classColumn, float conf)
    {
        using var output = _detector.Run(OnnxTestHelpers.Nchw(64, 64, r, g, b), 64, 64);

        var row = output.Row(0).ToArray();
        var expected = DemoDetectorModel.Expected(r, g, b);
        Assert.Multiple(() =>
        {
            Assert.That(row[4], Is.EqualTo(expected.Objectness).Within(1e-4), "ORT's sigmoid is an approximation");
            Assert.That(row[5], Is.EqualTo(expected.Animal).Within(1e-5));
            Assert.That(row[6], Is.EqualTo(expected.Person).Within(1e-5));
            Assert.That(row[7], Is.EqualTo(expected.Vehicle).Within(1e-5));
            Assert.That(row[4] * row[classColumn], Is.EqualTo(conf).Within(0.01));
        });
    }

    [Test]
    public void DetectorRun_EveryDemoColour_MatchesReferenceMapping()
    {
        foreach (var colour in DemoColours.All)
        {
            var (r, g, b) = colour.Unit;
            using var output = _detector.Run(OnnxTestHelpers.Nchw(64, 64, r, g, b), 64, 64);
            var row = output.Row(0);
            var expected = DemoDetectorModel.Expected(r, g, b);
            Assert.That(row[4], Is.EqualTo(expected.Objectness).Within(1e-4), colour.Name);
            Assert.That(row[5], Is.EqualTo(expected.Animal).Within(1e-5), colour.Name);
        }
    }

    [Test]
    public void DetectorRun_BufferLargerThanImage_UsesLeadingValues()
    {
        var buffer = new float[3 * 64 * 64 + 100];
        OnnxTestHelpers.Nchw(64, 64, 0f, 1f, 0f).CopyTo(buffer, 0);
        buffer.AsSpan(3 * 64 * 64).Fill(float.NaN);

        using var output = _detector.Run(buffer, 64, 64);

        Assert.That(output.Row(0)[6], Is.GreaterThan(0.9999f));
    }

    [Test]
    public void DetectorRun_BufferTooShort_Throws() =>
        Assert.Throws<ArgumentException>(() => _detector.Run(new float[10], 64, 64));

    [Test]
    public void ClassifierRun_EachDemoColour_GivesItsTop5()
    {
        foreach (var colour in DemoColours.All)
        {
            var top = _classifier.RunTopK(OnnxTestHelpers.Nhwc((colour.R, colour.G, colour.B)), 1)[0];

            var labels = top.Indices.Select(i => DemoLabels.Classifier[i]).ToArray();
            Assert.That(labels, Is.EqualTo(colour.Top5.Select(s => s.Label).ToArray()), colour.Name);
            for (var k = 0; k < 5; k++)
                Assert.That(top.Scores[k], Is.EqualTo(colour.Top5[k].Score).Within(2e-6), $"{colour.Name} #{k}");
        }
    }

    [Test]
    public void ClassifierRun_SlightlyNoisyColour_KeepsPrototypeAnswer()
    {
        // A JPEG round trip moves a flat colour by a level or two; the answer must not move.
        var top = _classifier.RunTopK(OnnxTestHelpers.Nhwc((252, 3, 2)), 1)[0];

        Assert.That(DemoLabels.Classifier[top.Indices[0]], Is.EqualTo(DemoLabels.Lion));
        Assert.That(top.Scores[0], Is.EqualTo(0.9f).Within(1e-4));
    }

    [Test]
    public void ClassifierRun_BatchOfThree_EqualsThreeSingleRuns()
    {
        (byte, byte, byte)[] colours = [(255, 0, 0), (128, 128, 128), (0, 0, 128)];
        using var batch = _classifier.Run(OnnxTestHelpers.Nhwc(colours), 3);

        Assert.That(batch.Rows, Is.EqualTo(3));
        for (var i = 0; i < 3; i++)
        {
            using var single = _classifier.Run(OnnxTestHelpers.Nhwc(colours[i]), 1);
            Assert.That(batch.Row(i).ToArray(), Is.EqualTo(single.Row(0).ToArray()).Within(1e-5), $"image {i}");
        }
    }

    [Test]
    public void Run_ConcurrentCallers_GiveIdenticalResults()
    {
        var image = OnnxTestHelpers.Nchw(320, 448, 0.9f, 0.3f, 0.1f);
        OnnxTestHelpers.PaintCell(image, 320, 448, 1, 2, 0f, 0.8f, 0.1f);
        var crops = OnnxTestHelpers.Nhwc((255, 64, 64), (64, 191, 64));
        float[] expectedRows, expectedLogits;
        using (var d = _detector.Run(image, 320, 448)) expectedRows = d.Span.ToArray();
        using (var c = _classifier.Run(crops, 2)) expectedLogits = c.Span.ToArray();

        var failures = 0;
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            bool same;
            if (i % 2 == 0)
            {
                using var d = _detector.Run(image, 320, 448);
                same = d.Span.SequenceEqual(expectedRows);
            }
            else
            {
                using var c = _classifier.Run(crops, 2);
                same = c.Span.SequenceEqual(expectedLogits);
            }

            if (!same) Interlocked.Increment(ref failures);
        });

        Assert.That(failures, Is.Zero);
    }

    [Test]
    public void ClassifierRun_BufferTooShort_Throws() =>
        Assert.Throws<ArgumentException>(() => _classifier.Run(new float[480 * 480 * 3], 2));
}
