using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using SpeciesNetDetection = Atlas.Domain.SpeciesNet.Detection;

namespace Atlas.Infrastructure.Tests.Detection;

[TestFixture]
public sealed class YoloPostProcessorTests
{
    // african_elephants.jpg: 2048x1536 -> 1280x960 tensor, gain 0.625, no padding.
    private static readonly LetterboxGeometry Elephants = LetterboxGeometry.Compute(2048, 1536);

    private static readonly double[] GoldenTop = [0.7041015625, 0.4765625, 0.11083984375, 0.125];
    private static readonly double[] GoldenSecond = [0.564453125, 0.4218750223517418, 0.0849609375, 0.1673177033662796];

    private static float[] Rows(params float[][] rows) => rows.SelectMany(r => r).ToArray();

    /// <summary>A row for a box given by its corners in input-tensor pixels.</summary>
    private static float[] Box(float x1, float y1, float x2, float y2, float obj, float animal = 1f, float human = 0f, float vehicle = 0f) =>
        [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, obj, animal, human, vehicle];

    /// <summary>A row for a box given by its corners in original-image pixels of the elephants image.</summary>
    private static float[] ImageBox(float x1, float y1, float x2, float y2, float obj) =>
        Box(x1 * 0.625f, y1 * 0.625f, x2 * 0.625f, y2 * 0.625f, obj);

    [Test]
    public void Process_GoldenElephantBoxes_ReproducedBitForBit()
    {
        // Golden (SpeciesNet v4.0.0a): [0.7041015625, 0.4765625, 0.11083984375, 0.125] conf 0.9352574348449707 and
        // [0.564453125, 0.4218750223517418, 0.0849609375, 0.1673177033662796] conf 0.9123581051826477,
        // i.e. pixel corners (1442,732)-(1669,924) and (1156,648)-(1330,905).
        var output = Rows(
            ImageBox(1156, 648, 1330, 905, 0.9123581051826477f),
            ImageBox(1442, 732, 1669, 924, 0.9352574348449707f));

        var detections = YoloPostProcessor.Process(output, Elephants);

        Assert.That(detections, Has.Count.EqualTo(2));
        Assert.That(detections[0].Conf, Is.EqualTo(0.9352574348449707));
        Assert.That(detections[0].Bbox, Is.EqualTo(GoldenTop));
        Assert.That(detections[1].Conf, Is.EqualTo(0.9123581051826477));
        // 0.4218750223517418 (not 0.421875) comes from the float32 centre/size step.
        Assert.That(detections[1].Bbox, Is.EqualTo(GoldenSecond));
        Assert.That(detections.Select(d => (d.Category, d.Label)), Is.All.EqualTo(("1", "animal")));
    }

    [Test]
    public void Process_GoldenFile_TopDetectionsReproduced()
    {
        var golden = File.ReadAllText(SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json"));
        using var doc = System.Text.Json.JsonDocument.Parse(golden);
        var checkedBoxes = 0;
        foreach (var prediction in doc.RootElement.GetProperty("predictions").EnumerateArray())
        {
            if (prediction.GetProperty("filepath").GetString() != "african_elephants.jpg") continue;
            foreach (var det in prediction.GetProperty("top_detections").EnumerateArray())
            {
                var bbox = det.GetProperty("bbox").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                // Back to whole pixel corners, then through the detector output path again.
                var x1 = (float)Math.Round(bbox[0] * 2048);
                var y1 = (float)Math.Round(bbox[1] * 1536);
                var x2 = x1 + (float)Math.Round(bbox[2] * 2048);
                var y2 = y1 + (float)Math.Round(bbox[3] * 1536);

                var result = YoloPostProcessor.Process(ImageBox(x1, y1, x2, y2, (float)det.GetProperty("conf").GetDouble()), Elephants);

                Assert.That(result[0].Bbox, Is.EqualTo(bbox));
                Assert.That(result[0].Conf, Is.EqualTo(det.GetProperty("conf").GetDouble()));
                checkedBoxes++;
            }
        }
        Assert.That(checkedBoxes, Is.GreaterThan(0));
    }

    [Test]
    public void Process_OverlapSameClass_LowerScoreSuppressed()
    {
        var output = Rows(Box(100, 100, 200, 200, 0.9f), Box(110, 100, 210, 200, 0.8f));

        var detections = YoloPostProcessor.Process(output, Elephants);

        Assert.That(detections, Has.Count.EqualTo(1));
        Assert.That(detections[0].Conf, Is.EqualTo((double)0.9f));
    }

    [Test]
    public void Process_OverlapDifferentClasses_BothKept()
    {
        var output = Rows(Box(100, 100, 200, 200, 0.9f), Box(100, 100, 200, 200, 0.8f, animal: 0f, human: 1f));

        var detections = YoloPostProcessor.Process(output, Elephants);

        Assert.That(detections.Select(d => (d.Category, d.Label)), Is.EqualTo(new[] { ("1", "animal"), ("2", "human") }));
    }

    [Test]
    public void Process_IouJustBelowThreshold_BothKept()
    {
        // Same height, x shifted: IoU = overlap / (200 - overlap). Overlap 62 -> 0.449, overlap 63 -> 0.459.
        var kept = YoloPostProcessor.Process(Rows(Box(0, 0, 100, 100, 0.9f), Box(38, 0, 138, 100, 0.8f)), Elephants);
        var suppressed = YoloPostProcessor.Process(Rows(Box(0, 0, 100, 100, 0.9f), Box(37, 0, 137, 100, 0.8f)), Elephants);

        Assert.That(kept, Has.Count.EqualTo(2));
        Assert.That(suppressed, Has.Count.EqualTo(1));
    }

    [Test]
    public void Process_Thresholds_AreStrict()
    {
        var output = Rows(
            Box(0, 0, 10, 10, 0.01f),                 // objectness not > 0.01
            Box(20, 0, 30, 10, 0.5f, animal: 0.02f),  // score 0.5 x 0.02 = 0.01, not > 0.01
            Box(40, 0, 50, 10, 0.0101f),              // kept: the spec's blank3.jpg case
            Box(60, 0, 70, 10, 0.5f, animal: 0.0202f)); // kept

        var detections = YoloPostProcessor.Process(output, Elephants);

        Assert.That(detections.Select(d => d.Conf), Is.EqualTo(new[] { (double)(0.5f * 0.0202f), (double)0.0101f }));
    }

    [Test]
    public void Process_BestClassOnly_ScoreIsObjectnessTimesClassProbability()
    {
        var detections = YoloPostProcessor.Process(Box(0, 0, 10, 10, 0.8f, animal: 0.3f, human: 0.1f, vehicle: 0.6f), Elephants);

        Assert.That(detections, Has.Count.EqualTo(1));
        Assert.That((detections[0].Category, detections[0].Label), Is.EqualTo(("3", "vehicle")));
        Assert.That(detections[0].Conf, Is.EqualTo((double)(0.8f * 0.6f)));
    }

    [Test]
    public void Process_ManyDisjointBoxes_CappedAt300HighestFirst()
    {
        var rows = new List<float[]>();
        for (var i = 0; i < 400; i++)
        {
            float x = (i % 40) * 30, y = (i / 40) * 30;
            rows.Add(Box(x, y, x + 20, y + 20, 0.02f + (i * 0.002f)));
        }

        var detections = YoloPostProcessor.Process(Rows([.. rows]), Elephants);

        Assert.That(detections, Has.Count.EqualTo(300));
        Assert.That(detections[0].Conf, Is.EqualTo((double)(0.02f + (399 * 0.002f))));
        Assert.That(detections.Select(d => d.Conf), Is.Ordered.Descending);
        Assert.That(detections[^1].Conf, Is.EqualTo((double)(0.02f + (100 * 0.002f))));
    }

    [Test]
    public void Process_BoxOutsideImage_ClippedToImage()
    {
        var detections = YoloPostProcessor.Process(Box(-10, -10, 30, 1000, 0.9f), Elephants);

        // x: -16 -> 0, 48; y: -16 -> 0, 1600 -> 1536.
        Assert.That(detections[0].Bbox, Is.EqualTo(new[] { 0.0, 0.0, 48 / 2048.0, 1.0 }).Within(1e-7));
        Assert.That(detections[0].Bbox[0], Is.Zero);
        Assert.That(detections[0].Bbox[1], Is.Zero);
    }

    [Test]
    public void Process_LetterboxedImage_UsesUnroundedPad()
    {
        // 500x700 -> 914x1280 + 23 px columns; gain 1.8285714, unrounded pad 22.857.
        // x = 42.1: (42.1 - 22.857) / 1.8286 = 10.52 -> 11 px (a rounded pad of 23 would give 10.45 -> 10).
        var geometry = LetterboxGeometry.Compute(500, 700);

        var detections = YoloPostProcessor.Process(Box(42.1f, 100, 300, 400, 0.9f), geometry);

        Assert.That(detections[0].Bbox[0], Is.EqualTo(11 / 500.0).Within(1e-7));
    }

    [Test]
    public void Process_NoRowAboveThreshold_Empty()
    {
        Assert.That(YoloPostProcessor.Process(new float[8 * 1000], Elephants), Is.Empty);
        Assert.That(YoloPostProcessor.Process([], Elephants), Is.Empty);
    }

    [Test]
    public void Process_LengthNotMultipleOf8_Throws()
    {
        Assert.Throws<ArgumentException>(() => YoloPostProcessor.Process(new float[9], Elephants));
    }

    [Test]
    public void Process_ResultType_IsDomainDetection()
    {
        Assert.That(YoloPostProcessor.Process(Box(0, 0, 10, 10, 0.9f), Elephants)[0], Is.TypeOf<SpeciesNetDetection>());
    }
}
