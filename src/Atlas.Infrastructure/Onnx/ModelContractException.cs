namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// An ONNX model does not have the tensor contract Atlas expects (spec sections 2.3 and 3.1): wrong input or
/// output count, rank, layout, element type or label width. The message names the model file and the problem,
/// so an operator who pointed the service at the wrong export can fix it without reading code.
/// </summary>
public sealed class ModelContractException : Exception
{
    public ModelContractException(string modelName, string problem, Exception? inner = null)
        : base($"Model '{modelName}': {problem}", inner)
    {
        ModelName = modelName;
    }

    /// <summary>The model file path or in-memory name.</summary>
    public string ModelName { get; }
}
