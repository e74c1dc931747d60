using Google.Protobuf;
using Onnx;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// Minimal helper over OnnxSharp's protobuf types to write small ONNX graphs in C# (the demo models and
/// malformed models in tests). Opset 17, IR version 8: every operator used is supported by ONNX Runtime 1.31.
/// Dimensions are given as <c>int</c> (fixed) or <c>string</c> (symbolic, i.e. dynamic).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private const int Opset = 17;
    private const long IrVersion = 8;

    private readonly GraphProto _graph;
    private int _nextName;

    public OnnxGraphBuilder(string graphName) => _graph = new GraphProto { Name = graphName };

    /// <summary>Declares a float graph input.</summary>
    public string Input(string name, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return name;
    }

    /// <summary>Declares a float graph output produced by a node whose output is <paramref name="name"/>.</summary>
    public void Output(string name, params object[] dims) => _graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));

    /// <summary>Adds a float initializer and returns its name.</summary>
    public string Constant(float[] values, params long[] dims)
    {
        var name = NextName("const");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer and returns its name.</summary>
    public string ConstantInt64(long[] values, params long[] dims)
    {
        var name = NextName("const");
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a scalar float initializer.</summary>
    public string Scalar(float value) => Constant([value]);

    /// <summary>Adds a node with one output; the output gets <paramref name="output"/> or a generated name.</summary>
    public string Node(string opType, string[] inputs, string? output = null, params AttributeProto[] attributes)
    {
        var name = output ?? NextName(opType);
        var node = new NodeProto { OpType = opType, Name = "node_" + name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Serialises the model; the same graph always gives the same bytes.</summary>
    public byte[] ToBytes(string producer = "Atlas")
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = producer,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private string NextName(string prefix) => $"{prefix}_{_nextName++}";

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                _ => throw new ArgumentException($"Dimension '{dim}' must be an int or a string.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
