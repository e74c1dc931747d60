using System.Text;
using Google.Protobuf;
using SkiaSharp;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Onnx;
using static Atlas.Infrastructure.Onnx.OnnxGraphBuilder;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>
/// A SpeciesNet bundle folder written by a test into a temporary directory: the demo bundle's files, with any file
/// replaced, removed or added. Deleted on dispose. Shared with Atlas.Api.Tests (linked source file).
/// </summary>
internal sealed class TestBundle : IDisposable
{
    private TestBundle(string directory) => Directory = directory;

    /// <summary>The bundle folder (what <c>SpeciesNet:ModelDir</c> points at).</summary>
    public string Directory { get; }

    /// <summary>Writes the demo bundle, after <paramref name="edit"/> has changed its file map (null value = no file).</summary>
    public static TestBundle FromDemo(Action<Dictionary<string, byte[]?>>? edit = null)
    {
        var files = DemoBundle.CreateFiles().ToDictionary(f => f.Key, f => (byte[]?)f.Value, StringComparer.Ordinal);
        edit?.Invoke(files);
        return Write(files);
    }

    /// <summary>Writes exactly <paramref name="files"/> (null values are skipped).</summary>
    public static TestBundle Write(IReadOnlyDictionary<string, byte[]?> files)
    {
        var directory = Path.Combine(Path.GetTempPath(), "atlas-bundle-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        foreach (var (name, bytes) in files)
        {
            if (bytes is not null) File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }

        return new TestBundle(directory);
    }

    /// <summary>info.json with the demo file names unless overridden.</summary>
    public static byte[] InfoJson(
        string version = "test-bundle",
        string type = "always_crop",
        string classifier = DemoBundle.ClassifierFile,
        string labels = DemoBundle.LabelsFile,
        string detector = DemoBundle.DetectorFile,
        string taxonomy = DemoBundle.TaxonomyFile,
        string geofence = DemoBundle.GeofenceFile) =>
        Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["version"] = version,
            ["type"] = type,
            ["classifier"] = classifier,
            ["classifier_labels"] = labels,
            ["detector"] = detector,
            ["taxonomy"] = taxonomy,
            ["geofence"] = geofence,
        }));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A session may still hold a file on some platforms; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>
/// Variants of the demo models that an unseen, real-world export might look like (fixed sizes, other tensor names,
/// a different row count), and deliberately broken ones. Built by editing the demo ONNX graphs, so the
/// behaviour (answers by colour) stays the one documented in docs/design/onnx-and-demo-bundle.md.
/// </summary>
internal static class TestModels
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

/// <summary>Encoded synthetic pictures for the demo models: a background with one coloured rectangle.</summary>
internal static class TestPictures
{
    /// <summary>A <paramref name="width"/> x <paramref name="height"/> image of one colour.</summary>
    public static byte[] Solid(int width, int height, (byte R, byte G, byte B) colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        WithRect(width, height, colour, colour, new SKRectI(0, 0, 0, 0), format);

    /// <summary>A background colour with <paramref name="rect"/> painted in <paramref name="fill"/>.</summary>
    public static byte[] WithRect(int width, int height, (byte R, byte G, byte B) background, (byte R, byte G, byte B) fill, SKRectI rect,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(background.R, background.G, background.B));
        if (!rect.IsEmpty)
        {
            using var canvas = new SKCanvas(bitmap);
            using var paint = new SKPaint { Color = new SKColor(fill.R, fill.G, fill.B), IsAntialias = false };
            canvas.DrawRect(rect, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>
    /// Encodes a TIFF with LibTiff.NET: RGB (3 samples) or greyscale (1 sample, the pixel's red), 8 bits,
    /// uncompressed or LZW, with the given Orientation tag (rows are written in file order as given).
    /// </summary>
    public static byte[] Tiff(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, bool grey = false,
        BitMiracle.LibTiff.Classic.Orientation orientation = BitMiracle.LibTiff.Classic.Orientation.TOPLEFT,
        BitMiracle.LibTiff.Classic.Compression compression = BitMiracle.LibTiff.Classic.Compression.NONE)
    {
        using var stream = new MemoryStream();
        using (var tiff = BitMiracle.LibTiff.Classic.Tiff.ClientOpen("test.tif", "w", stream, new BitMiracle.LibTiff.Classic.TiffStream()))
        {
            var samples = grey ? 1 : 3;
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGEWIDTH, width);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGELENGTH, height);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.SAMPLESPERPIXEL, samples);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.BITSPERSAMPLE, 8);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PHOTOMETRIC, grey ? BitMiracle.LibTiff.Classic.Photometric.MINISBLACK : BitMiracle.LibTiff.Classic.Photometric.RGB);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PLANARCONFIG, BitMiracle.LibTiff.Classic.PlanarConfig.CONTIG);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.COMPRESSION, compression);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.ORIENTATION, orientation);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.ROWSPERSTRIP, Math.Max(1, Math.Min(height, 64)));
            var row = new byte[width * samples];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var (r, g, b) = pixel(x, y);
                    if (grey)
                    {
                        row[x] = r;
                    }
                    else
                    {
                        row[3 * x] = r;
                        row[3 * x + 1] = g;
                        row[3 * x + 2] = b;
                    }
                }

                if (!tiff.WriteScanline(row, y)) throw new InvalidOperationException($"LibTiff could not write row {y}.");
            }

            tiff.WriteDirectory();
        }

        return stream.ToArray();
    }

    /// <summary>The RGB of a demo colour.</summary>
    public static (byte R, byte G, byte B) Rgb(this DemoColour colour) => (colour.R, colour.G, colour.B);
}
