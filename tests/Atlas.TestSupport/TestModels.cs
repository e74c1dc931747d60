using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Google.Protobuf;
using Onnx;
using static Atlas.Infrastructure.Onnx.OnnxGraphBuilder;

namespace Atlas.TestSupport;

/// <summary>
/// Variants of the demo models that an unseen, real-world export might look like (fixed sizes, other tensor names,
/// a different row count), and deliberately broken ones. Built by editing the demo ONNX graphs, so the
/// behaviour (answers by colour) stays the one documented in docs/design/onnx-and-demo-bundle.md.
/// </summary>
public static class TestModels
{
    /// <summary>Renames a tensor everywhere in the graph (inputs, outputs, node wiring).</summary>
    public static byte[] Rename(byte[] model, string from, string to)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
            for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
        }

        foreach (var value in graph.Input.Concat(graph.Output)) if (value.Name == from) value.Name = to;
        return proto.ToByteArray();
    }

    /// <summary>Declares new dimensions for graph input 0 (int = fixed, string = symbolic).</summary>
    public static byte[] WithInputShape(byte[] model, params object[] dims) => Edit(model, g => SetShape(g.Input[0], dims));

    /// <summary>Declares new dimensions for graph output 0.</summary>
    public static byte[] WithOutputShape(byte[] model, params object[] dims) => Edit(model, g => SetShape(g.Output[0], dims));

    /// <summary>
    /// The demo detector's maths exported at one fixed input size, like a per-size MegaDetector export: input
    /// <c>[1, 3, height, width]</c>, output <c>[1, cells, 8]</c>, the cell-centre grid baked in as constants (a
    /// fixed-size trace has no Shape/Range ops, and ONNX shape inference rejects the demo's Range once sizes are known).
    /// </summary>
    public static byte[] FixedSizeDetector(int height, int width)
    {
        const int cell = DemoDetectorModel.CellSize;
        int rows = height / cell, cols = width / cell, cells = rows * cols;
        var cx = new float[cells];
        var cy = new float[cells];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                cx[r * cols + c] = c * cell + cell / 2f;
                cy[r * cols + c] = r * cell + cell / 2f;
            }
        }

        var g = new OnnxGraphBuilder("fixed_size_detector");
        var images = g.Input(DemoDetectorModel.InputName, 1, 3, height, width);
        var pooled = g.Node("AveragePool", [images], attributes: [Ints("kernel_shape", cell, cell), Ints("strides", cell, cell)]);
        var max = g.Node("ReduceMax", [pooled], attributes: [Ints("axes", 1), Int("keepdims", 1)]);
        var min = g.Node("ReduceMin", [pooled], attributes: [Ints("axes", 1), Int("keepdims", 1)]);
        var centred = g.Node("Sub", [g.Node("Sub", [max, min]), g.Scalar(DemoDetectorModel.ObjectnessMidpoint)]);
        var objectness = g.Node("Sigmoid", [g.Node("Mul", [centred, g.Scalar(DemoDetectorModel.ObjectnessGain)])]);
        var classes = g.Node("Softmax", [g.Node("Mul", [pooled, g.Scalar(DemoDetectorModel.ClassGain)])], attributes: [Int("axis", 1)]);
        var size = g.Constant(Enumerable.Repeat((float)cell, cells).ToArray(), 1, 1, rows, cols);
        var rowsConcat = g.Node("Concat", [g.Constant(cx, 1, 1, rows, cols), g.Constant(cy, 1, 1, rows, cols), size, size, objectness, classes], attributes: [Int("axis", 1)]);
        var flat = g.Node("Reshape", [rowsConcat, g.ConstantInt64([1, ModelContracts.DetectorColumns, cells], 3)]);
        g.Node("Transpose", [flat], DemoDetectorModel.OutputName, Ints("perm", 0, 2, 1));
        g.Output(DemoDetectorModel.OutputName, 1, cells, ModelContracts.DetectorColumns);
        return g.ToBytes();
    }

    /// <summary>The demo detector with <paramref name="extraRows"/> all-zero rows appended (N differs from the cell count).</summary>
    public static byte[] DetectorWithExtraRows(int extraRows) => AppendToOutput(DemoDetectorModel.Build(), DemoDetectorModel.OutputName, (g, raw) =>
        g.Node("Pad", [raw, g.ConstantInt64([0, 0, 0, 0, extraRows, 0], 6)], DemoDetectorModel.OutputName), [1, "rows", ModelContracts.DetectorColumns]);

    /// <summary>The demo detector whose rows are cut to 7 columns (a wrong export).</summary>
    public static byte[] DetectorWithSevenColumns() => AppendToOutput(DemoDetectorModel.Build(), DemoDetectorModel.OutputName, (g, raw) =>
        g.Node("Slice", [raw, g.ConstantInt64([0], 1), g.ConstantInt64([7], 1), g.ConstantInt64([2], 1)], DemoDetectorModel.OutputName), [1, "cells", 7]);

    /// <summary>A classifier that takes NCHW [B, 3, 480, 480] (the PyTorch layout SpeciesNet's export does not use).</summary>
    public static byte[] NchwClassifier(int labels)
    {
        var g = new OnnxGraphBuilder("nchw_classifier");
        var input = g.Input("crops", "batch", 3, 480, 480);
        var mean = g.Node("ReduceMean", [input], attributes: [Ints("axes", 2, 3), Int("keepdims", 0)]);
        g.Node("MatMul", [mean, g.Constant(new float[3 * labels], 3, labels)], "logits");
        g.Output("logits", "batch", labels);
        return g.ToBytes();
    }

    /// <summary>
    /// A linear classifier on the crop's mean colour: logits = mean(r, g, b) · W, W = [3, labels], all zero except
    /// the given columns. A column (a, b, c) scores a·r + b·g + c·b for its label.
    /// </summary>
    public static byte[] ColourClassifier(int labels, IReadOnlyDictionary<int, (float R, float G, float B)> columns, bool dynamicWidth = false)
    {
        var weights = new float[3 * labels];
        foreach (var (index, (r, gr, b)) in columns)
        {
            weights[index] = r;
            weights[labels + index] = gr;
            weights[2 * labels + index] = b;
        }

        var g = new OnnxGraphBuilder("colour_classifier");
        var crops = g.Input("crops", "batch", 480, 480, 3);
        var mean = g.Node("ReduceMean", [crops], attributes: [Ints("axes", 1, 2), Int("keepdims", 0)]);
        var logits = g.Node("MatMul", [mean, g.Constant(weights, 3, labels)], dynamicWidth ? null : "logits");
        if (dynamicWidth)
        {
            // Reshape to [batch, -1] through a shape computed at run time, so the width is not inferable at load.
            var batch = g.Node("Slice", [g.Node("Shape", [crops]), g.ConstantInt64([0], 1), g.ConstantInt64([1], 1)]);
            g.Node("Reshape", [logits, g.Node("Concat", [batch, g.ConstantInt64([-1], 1)], attributes: [Int("axis", 0)])], "logits");
        }

        g.Output("logits", "batch", dynamicWidth ? "labels" : labels);
        return g.ToBytes();
    }

    private static byte[] AppendToOutput(byte[] model, string output, Func<OnnxGraphBuilder, string, string> append, object[] outputDims)
    {
        // Build the extra node(s) with the builder, then graft them (and their constants) onto the model.
        var raw = output + "_raw";
        var renamed = ModelProto.Parser.ParseFrom(Rename(model, output, raw));
        renamed.Graph.Output.Clear();
        var extra = new OnnxGraphBuilder("extra");
        append(extra, raw);
        extra.Output(output, outputDims);
        var tail = ModelProto.Parser.ParseFrom(extra.ToBytes()).Graph;
        foreach (var init in tail.Initializer) init.Name = "tail_" + init.Name;
        foreach (var node in tail.Node)
        {
            for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] != raw) node.Input[i] = "tail_" + node.Input[i];
            node.Name = "tail_" + node.Name;
        }

        renamed.Graph.Initializer.AddRange(tail.Initializer);
        renamed.Graph.Node.AddRange(tail.Node);
        renamed.Graph.Output.AddRange(tail.Output);
        return renamed.ToByteArray();
    }

    private static byte[] Edit(byte[] model, Action<GraphProto> edit)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        edit(proto.Graph);
        return proto.ToByteArray();
    }

    private static void SetShape(ValueInfoProto value, object[] dims)
    {
        var shape = value.Type.TensorType.Shape;
        shape.Dim.Clear();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                int v => new TensorShapeProto.Types.Dimension { DimValue = v },
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                _ => throw new ArgumentException($"Dimension '{dim}' must be an int or a string.", nameof(dims)),
            });
        }
    }
}
