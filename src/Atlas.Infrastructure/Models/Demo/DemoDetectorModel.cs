using Atlas.Infrastructure.Onnx;
using static Atlas.Infrastructure.Onnx.OnnxGraphBuilder;

namespace Atlas.Infrastructure.Models.Demo;

/// <summary>One demo detection: the class the detector would pick and its score (objectness x class probability).</summary>
public sealed record DemoDetection(string Label, int ClassIndex, float Confidence);

/// <summary>What the demo detector computes for one cell of mean colour (r, g, b).</summary>
public readonly record struct DemoDetectorCell(float Objectness, float Animal, float Person, float Vehicle)
{
    private static readonly string[] Labels = ["animal", "human", "vehicle"];

    /// <summary>The detection NMS would keep from this row (best class, conf = objectness x prob), or null if conf &lt;= 0.01.</summary>
    public DemoDetection? AsDetection()
    {
        var best = 0;
        var p = Animal;
        if (Person > p) (best, p) = (1, Person);
        if (Vehicle > p) (best, p) = (2, Vehicle);
        var conf = Objectness * p;
        return Objectness > 0.01f && conf > 0.01f ? new DemoDetection(Labels[best], best, conf) : null;
    }
}

/// <summary>
/// Builds the demo detector: same contract as a raw MegaDetector v5 export (input <c>images</c> float
/// <c>[B, 3, H, W]</c>, batch, H and W dynamic (H and W multiples of 64); output <c>output</c> <c>[B, N, 8]</c>;
/// the batch is dynamic so micro-batching can be exercised) but a handful of
/// operators instead of a network, so its answers follow from the image colours:
/// <list type="number">
/// <item>AveragePool 64x64 stride 64 gives the mean colour (r, g, b) of every 64x64 cell (a trailing partial
/// cell is dropped); N = (H/64)·(W/64), rows in row-major cell order (top row first, left to right).</item>
/// <item>cx, cy = the cell centre in input pixels (64·col + 32, 64·row + 32), built in-graph with
/// Shape -> Cast -> Gather -> Range -> Expand so H and W stay dynamic; w = h = 64: each row is its cell.</item>
/// <item>objectness = sigmoid(12·(s − 0.5)), s = max(r,g,b) − min(r,g,b) (a saturation): grey, white and black
/// give 0.0025, below the 0.01 threshold, so neutral images have no detections; a fully saturated colour gives
/// 0.9975; s = 0.683 gives 0.9, s = 0.429 gives 0.3, s = 0.317 gives 0.1.</item>
/// <item>class probabilities = softmax(20·(r, g, b)) over the channels: red dominant -> animal, green -> person,
/// blue -> vehicle, ≈1 as soon as one channel leads by 0.25.</item>
/// </list>
/// <see cref="Expected"/> computes the same numbers in C#.
/// </summary>
public static class DemoDetectorModel
{
    public const string InputName = "images";
    public const string OutputName = "output";
    public const int CellSize = 64;
    public const float ObjectnessGain = 12f;
    public const float ObjectnessMidpoint = 0.5f;
    public const float ClassGain = 20f;

    /// <summary>The ONNX model bytes (deterministic), with a dynamic batch dimension.</summary>
    public static byte[] Build() => Build(dynamicBatch: true);

    /// <summary>The ONNX model bytes; <paramref name="dynamicBatch"/> false gives a batch fixed to 1 (as many exports have).</summary>
    public static byte[] Build(bool dynamicBatch)
    {
        var g = new OnnxGraphBuilder("atlas_demo_detector");
        object batch = dynamicBatch ? "batch" : 1;
        var images = g.Input(InputName, batch, 3, "height", "width");

        var cells = g.Node("AveragePool", [images], attributes: [Ints("kernel_shape", CellSize, CellSize), Ints("strides", CellSize, CellSize)]);
        var max = g.Node("ReduceMax", [cells], attributes: [Ints("axes", 1), Int("keepdims", 1)]);
        var min = g.Node("ReduceMin", [cells], attributes: [Ints("axes", 1), Int("keepdims", 1)]);
        var saturation = g.Node("Sub", [max, min]);
        var centred = g.Node("Sub", [saturation, g.Scalar(ObjectnessMidpoint)]);
        var objectness = g.Node("Sigmoid", [g.Node("Mul", [centred, g.Scalar(ObjectnessGain)])]);
        var classes = g.Node("Softmax", [g.Node("Mul", [cells, g.Scalar(ClassGain)])], attributes: [Int("axis", 1)]);

        // Cell-centre grid: [1,1,h,w] maps of cx and cy from the pooled tensor's own (dynamic) shape.
        var mapShape = g.Node("Shape", [saturation]);
        var mapShapeF = g.Node("Cast", [mapShape], attributes: [Int("to", (long)global::Onnx.TensorProto.Types.DataType.Float)]);
        var zero = g.Scalar(0f);
        var one = g.Scalar(1f);
        var cellSize = g.Scalar(CellSize);
        var halfCell = g.Scalar(CellSize / 2f);
        string Centres(long axis, long[] shape)
        {
            var count = g.Node("Gather", [mapShapeF, g.ConstantInt64([axis])], attributes: [Int("axis", 0)]);
            var index = g.Node("Range", [zero, count, one]);
            var centre = g.Node("Add", [g.Node("Mul", [index, cellSize]), halfCell]);
            var shaped = g.Node("Reshape", [centre, g.ConstantInt64(shape, 4)]);
            return g.Node("Expand", [shaped, mapShape]);
        }

        var cy = Centres(2, [1, 1, -1, 1]);
        var cx = Centres(3, [1, 1, 1, -1]);
        var size = g.Node("Expand", [g.Constant([CellSize], 1, 1, 1, 1), mapShape]);

        var rows = g.Node("Concat", [cx, cy, size, size, objectness, classes], attributes: [Int("axis", 1)]);
        // Reshape's 0 copies the batch dimension from the input.
        var flat = g.Node("Reshape", [rows, g.ConstantInt64([0, ModelContracts.DetectorColumns, -1], 3)]);
        g.Node("Transpose", [flat], OutputName, Ints("perm", 0, 2, 1));
        g.Output(OutputName, batch, "cells", ModelContracts.DetectorColumns);
        return g.ToBytes("Atlas demo detector");
    }

    /// <summary>The demo detector's row for a cell whose mean colour is (r, g, b), each 0..1.</summary>
    public static DemoDetectorCell Expected(float r, float g, float b)
    {
        var s = MathF.Max(r, MathF.Max(g, b)) - MathF.Min(r, MathF.Min(g, b));
        var objectness = 1f / (1f + MathF.Exp(-ObjectnessGain * (s - ObjectnessMidpoint)));
        var m = MathF.Max(r, MathF.Max(g, b));
        var er = MathF.Exp(ClassGain * (r - m));
        var eg = MathF.Exp(ClassGain * (g - m));
        var eb = MathF.Exp(ClassGain * (b - m));
        var sum = er + eg + eb;
        return new DemoDetectorCell(objectness, er / sum, eg / sum, eb / sum);
    }
}
