using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using static Atlas.Infrastructure.Onnx.OnnxGraphBuilder;

namespace Atlas.Infrastructure.Tests.Onnx;

[TestFixture]
public sealed class ModelContractsTests
{
    private const int Labels = 13;
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("atlas-onnx-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Mean colour -> MatMul -> logits, with a configurable input layout and output width.</summary>
    private static byte[] Classifier(object[] inputDims, long[] meanAxes, int width, object declaredWidth)
    {
        var g = new OnnxGraphBuilder("test_classifier");
        var input = g.Input("pixels", inputDims);
        var mean = g.Node("ReduceMean", [input], attributes: [Ints("axes", meanAxes), Int("keepdims", 0)]);
        g.Node("MatMul", [mean, declaredWidth is int ? g.Constant(new float[3 * width], 3, width) : UninferableWidth(g, width)], "scores");
        g.Output("scores", "b", declaredWidth);
        return g.ToBytes();
    }

    /// <summary>
    /// A [3, width] weight whose width shape inference cannot know (NonZero's output size depends on data), so the
    /// model's output width stays dynamic and only a run reveals it.
    /// </summary>
    private static string UninferableWidth(OnnxGraphBuilder g, int width)
    {
        var indices = g.Node("Cast", [g.Node("NonZero", [g.Constant(Enumerable.Repeat(1f, width).ToArray(), width)])], attributes: [Int("to", 1)]);
        return g.Node("Mul", [g.Constant([1f, 1f, 1f], 3, 1), indices]);
    }

    /// <summary>Per-cell pooled colours concatenated to <paramref name="columns"/> channels, as [1, N, columns].</summary>
    private static byte[] Detector(object[] inputDims, int columns, object declaredColumns)
    {
        var g = new OnnxGraphBuilder("test_detector");
        var input = g.Input("x", inputDims);
        var cells = g.Node("AveragePool", [input], attributes: [Ints("kernel_shape", 64, 64), Ints("strides", 64, 64)]);
        var parts = Enumerable.Repeat(cells, columns / 3).ToList();
        for (var i = 0; i < columns % 3; i++) parts.Add(g.Node("ReduceMax", [cells], attributes: [Ints("axes", 1), Int("keepdims", 1)]));
        var stacked = g.Node("Concat", [.. parts], attributes: [Int("axis", 1)]);
        var shape = g.ConstantInt64([1, columns, -1], 3);
        if (declaredColumns is not int)
        {
            // Same [1, columns, -1] but computed from NonZero's data-dependent size, so shape inference cannot see it.
            var count = g.Node("Shape", [g.Node("NonZero", [g.Constant(Enumerable.Repeat(1f, columns).ToArray(), columns)])]);
            var columnsDim = g.Node("Slice", [count, g.ConstantInt64([1], 1), g.ConstantInt64([2], 1)]);
            shape = g.Node("Concat", [g.ConstantInt64([1], 1), columnsDim, g.ConstantInt64([-1], 1)], attributes: [Int("axis", 0)]);
        }

        var flat = g.Node("Reshape", [stacked, shape]);
        g.Node("Transpose", [flat], "rows", Ints("perm", 0, 2, 1));
        g.Output("rows", 1, "n", declaredColumns);
        return g.ToBytes();
    }

    private OnnxModelSession Load(byte[] model, string fileName)
    {
        var path = Path.Combine(_dir, fileName);
        File.WriteAllBytes(path, model);
        return OnnxTestHelpers.CpuFactory().Create(path);
    }

    [Test]
    public void ValidateClassifier_DemoModel_ReadsNamesFromModel()
    {
        using var runner = new ClassifierRunner(Load(DemoClassifierModel.Build(), "classifier.onnx"), Labels);

        Assert.That(runner.Contract, Is.EqualTo(new ClassifierContract("crops", "logits", null, Labels, false)));
    }

    [Test]
    public void ValidateClassifier_NchwInput_RejectsNamingFileAndLayout()
    {
        using var model = Load(Classifier(["b", 3, 480, 480], [2, 3], Labels, Labels), "nchw.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateClassifier(model, Labels));

        Assert.That(ex!.Message, Does.Contain(Path.Combine(_dir, "nchw.onnx")).And.Contain("NCHW").And.Contain("[b, 3, 480, 480]"));
    }

    [Test]
    public void ValidateClassifier_OutputWidthDiffersFromLabels_RejectsNamingBothCounts()
    {
        using var model = Load(Classifier(["b", 480, 480, 3], [1, 2], 10, 10), "narrow.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateClassifier(model, Labels));

        Assert.That(ex!.Message, Does.Contain("narrow.onnx").And.Contain("10 logits").And.Contain($"{Labels} labels"));
    }

    [Test]
    public void ValidateClassifier_WrongSpatialSize_Rejects()
    {
        using var model = Load(Classifier(["b", 224, 224, 3], [1, 2], Labels, Labels), "small.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateClassifier(model, Labels));

        Assert.That(ex!.Message, Does.Contain("small.onnx").And.Contain("NHWC [B, 480, 480, 3]"));
    }

    [Test]
    public void WarmUp_DynamicWidthDiffersFromLabels_RejectsNamingFile()
    {
        using var runner = new ClassifierRunner(Load(Classifier(["b", 480, 480, 3], [1, 2], 10, "labels"), "dynamic.onnx"), Labels);
        Assert.That(runner.Contract.OutputWidthDynamic, Is.True);

        var ex = Assert.Throws<ModelContractException>(runner.WarmUp);

        Assert.That(ex!.Message, Does.Contain("dynamic.onnx").And.Contain("[1, 10]").And.Contain($"[1, {Labels}]"));
    }

    [Test]
    public void WarmUp_DynamicWidthMatchingLabels_Passes()
    {
        using var runner = new ClassifierRunner(Load(Classifier(["b", 480, 480, 3], [1, 2], Labels, "labels"), "dynamic.onnx"), Labels);

        Assert.DoesNotThrow(runner.WarmUp);
    }

    [Test]
    public void ValidateClassifier_FixedBatch_ReportsItAndRunRejectsOtherBatches()
    {
        using var runner = new ClassifierRunner(Load(Classifier([1, 480, 480, 3], [1, 2], Labels, Labels), "b1.onnx"), Labels);

        Assert.That(runner.Contract.FixedBatchSize, Is.EqualTo(1));
        Assert.Throws<ArgumentException>(() => runner.Run(new float[2 * 480 * 480 * 3], 2));
    }

    [Test]
    public void ValidateDetector_DemoModel_IsDynamic()
    {
        using var runner = new DetectorRunner(Load(DemoDetectorModel.Build(), "detector.onnx"));

        Assert.That(runner.Contract, Is.EqualTo(new DetectorContract("images", "output", null, false, BatchDynamic: true)));
    }

    [Test]
    public void ValidateDetector_FixedBatchExport_IsNotBatchable()
    {
        using var runner = new DetectorRunner(Load(DemoDetectorModel.Build(dynamicBatch: false), "detector_b1.onnx"));

        Assert.That(runner.Contract.BatchDynamic, Is.False);
        Assert.Throws<ArgumentException>(() => runner.RunBatch(new float[2 * 3 * 64 * 64], 2, 64, 64));
    }

    [Test]
    public void ValidateDetector_FixedSizeExport_ReportsFixedSize()
    {
        using var runner = new DetectorRunner(Load(Detector([1, 3, 960, 1280], 8, 8), "md_960x1280.onnx"));

        Assert.That(runner.FixedInputSize, Is.EqualTo(new InputSize(960, 1280)));
        var ex = Assert.Throws<ArgumentException>(() => runner.Run(new float[3 * 1280 * 1280], 1280, 1280));
        Assert.That(ex!.Message, Does.Contain("1280x960"));
    }

    [Test]
    public void ValidateDetector_SevenColumns_RejectsNamingFile()
    {
        using var model = Load(Detector([1, 3, "h", "w"], 7, 7), "seven.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateDetector(model));

        Assert.That(ex!.Message, Does.Contain("seven.onnx").And.Contain("7 columns").And.Contain("expected 8"));
    }

    [Test]
    public void Run_DynamicColumnsNotEight_RejectsAtWarmUp()
    {
        using var runner = new DetectorRunner(Load(Detector([1, 3, "h", "w"], 9, "c"), "nine.onnx"));

        var ex = Assert.Throws<ModelContractException>(() => runner.WarmUp(64, 64));

        Assert.That(ex!.Message, Does.Contain("nine.onnx").And.Contain("[1, 1, 9]"));
    }

    [Test]
    public void ValidateDetector_NhwcInput_Rejects()
    {
        var g = new OnnxGraphBuilder("nhwc");
        var input = g.Input("x", 1, "h", "w", 3);
        var rows = g.Node("Reshape", [input, g.ConstantInt64([1, -1, 8], 3)], "rows");
        g.Output(rows, 1, "n", 8);
        using var model = Load(g.ToBytes(), "nhwc-detector.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateDetector(model));

        Assert.That(ex!.Message, Does.Contain("nhwc-detector.onnx").And.Contain("[1, 3, H, W]"));
    }

    [Test]
    public void ValidateDetector_TwoInputs_Rejects()
    {
        var g = new OnnxGraphBuilder("two");
        var a = g.Input("a", 1, 3, "h", "w");
        var b = g.Input("b", 1, 3, "h", "w");
        var sum = g.Node("Add", [a, b]);
        g.Node("Reshape", [sum, g.ConstantInt64([1, -1, 8], 3)], "rows");
        g.Output("rows", 1, "n", 8);
        using var model = Load(g.ToBytes(), "two-inputs.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateDetector(model));

        Assert.That(ex!.Message, Does.Contain("two-inputs.onnx").And.Contain("exactly one input"));
    }

    [Test]
    public void ValidateDetector_RankTwoOutput_Rejects()
    {
        var g = new OnnxGraphBuilder("rank2");
        var input = g.Input("x", 1, 3, "h", "w");
        g.Node("Reshape", [input, g.ConstantInt64([-1, 8], 2)], "rows");
        g.Output("rows", "n", 8);
        using var model = Load(g.ToBytes(), "rank2.onnx");

        var ex = Assert.Throws<ModelContractException>(() => ModelContracts.ValidateDetector(model));

        Assert.That(ex!.Message, Does.Contain("rank2.onnx").And.Contain("rank 2"));
    }
}
