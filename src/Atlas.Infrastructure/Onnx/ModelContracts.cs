using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Atlas.Infrastructure.Onnx;

/// <summary>Height and width of a detector input tensor, in pixels.</summary>
public readonly record struct InputSize(int Height, int Width)
{
    public override string ToString() => $"{Width}x{Height} (WxH)";
}

/// <summary>
/// What the detector model looks like (spec 2.3): input <c>[1, 3, H, W]</c> float, first output <c>[1, N, 8]</c>.
/// Names come from the model. <see cref="FixedInputSize"/> is set for per-size exports (e.g. <c>[1,3,960,1280]</c>,
/// spec 10.4); the engine must then letterbox to exactly that size. <see cref="BatchDynamic"/> is true when both the
/// input's and the output's batch dimension are dynamic, so several images of one size can run in one call.
/// </summary>
public sealed record DetectorContract(string InputName, string OutputName, InputSize? FixedInputSize, bool OutputColumnsDynamic, bool BatchDynamic = false);

/// <summary>
/// What the classifier model looks like (spec 3.1): input NHWC <c>[B, 480, 480, 3]</c> float, first output
/// <c>[B, labels]</c>. <see cref="FixedBatchSize"/> is set when the export has a static batch dimension
/// (then every run must use exactly that batch). When <see cref="OutputWidthDynamic"/> is true the label width
/// is only known after a run; <see cref="ClassifierRunner.WarmUp"/> checks it.
/// </summary>
public sealed record ClassifierContract(string InputName, string OutputName, int? FixedBatchSize, int LabelCount, bool OutputWidthDynamic);

/// <summary>
/// Checks a loaded model against the tensor contracts Atlas relies on, reading input and output names
/// from the model instead of assuming them. Every failure is a <see cref="ModelContractException"/> that names
/// the model file and the problem.
/// </summary>
public static class ModelContracts
{
    /// <summary>Spatial size of the classifier input (spec 3.1).</summary>
    public const int ClassifierInputSize = 480;

    /// <summary>Columns per detector output row: cx, cy, w, h, objectness, p(animal), p(person), p(vehicle).</summary>
    public const int DetectorColumns = 8;

    /// <summary>Validates a detector model (spec 2.3).</summary>
    public static DetectorContract ValidateDetector(OnnxModelSession model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (inputName, input) = SingleFloatInput(model, "detector");
        var d = input.Dimensions;
        if (d.Length != 4)
            throw Fail(model, $"detector input '{inputName}' has rank {d.Length} {Shape(input)}; expected rank 4 [1, 3, H, W] (NCHW).");
        if (IsFixed(d[0]) && d[0] != 1)
            throw Fail(model, $"detector input '{inputName}' {Shape(input)} has batch {d[0]}; expected 1 or dynamic.");
        if (d[1] != 3)
            throw Fail(model, $"detector input '{inputName}' {Shape(input)} is not NCHW with 3 channels; expected [1, 3, H, W].");
        if (IsFixed(d[2]) != IsFixed(d[3]))
            throw Fail(model, $"detector input '{inputName}' {Shape(input)} fixes only one of H and W; expected both fixed or both dynamic.");
        InputSize? fixedSize = IsFixed(d[2]) ? new InputSize(d[2], d[3]) : null;

        var (outputName, output) = FirstFloatOutput(model, "detector");
        var o = output.Dimensions;
        if (o.Length != 3)
            throw Fail(model, $"detector output '{outputName}' has rank {o.Length} {Shape(output)}; expected rank 3 [1, N, 8].");
        if (IsFixed(o[0]) && o[0] != 1)
            throw Fail(model, $"detector output '{outputName}' {Shape(output)} has batch {o[0]}; expected 1 or dynamic.");
        if (IsFixed(o[2]) && o[2] != DetectorColumns)
            throw Fail(model, $"detector output '{outputName}' {Shape(output)} has {o[2]} columns; expected {DetectorColumns} (cx, cy, w, h, objectness, animal, person, vehicle).");
        return new DetectorContract(inputName, outputName, fixedSize, !IsFixed(o[2]), !IsFixed(d[0]) && !IsFixed(o[0]));
    }

    /// <summary>Validates a classifier model (spec 3.1) against the number of lines in its labels file.</summary>
    public static ClassifierContract ValidateClassifier(OnnxModelSession model, int labelCount)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labelCount);
        var (inputName, input) = SingleFloatInput(model, "classifier");
        var d = input.Dimensions;
        const int size = ClassifierInputSize;
        if (d.Length != 4)
            throw Fail(model, $"classifier input '{inputName}' has rank {d.Length} {Shape(input)}; expected rank 4 NHWC [B, {size}, {size}, 3].");
        if (d[1] == 3 && d[3] != 3)
            throw Fail(model, $"classifier input '{inputName}' {Shape(input)} looks NCHW; expected NHWC [B, {size}, {size}, 3] (channels last, spec 3.1).");
        if (d[3] != 3 || !FixedOrDynamic(d[1], size) || !FixedOrDynamic(d[2], size))
            throw Fail(model, $"classifier input '{inputName}' {Shape(input)} is not NHWC [B, {size}, {size}, 3].");
        int? fixedBatch = IsFixed(d[0]) ? d[0] : null;

        var (outputName, output) = FirstFloatOutput(model, "classifier");
        var o = output.Dimensions;
        if (o.Length != 2)
            throw Fail(model, $"classifier output '{outputName}' has rank {o.Length} {Shape(output)}; expected rank 2 [B, {labelCount}] (one logit per label).");
        if (IsFixed(o[1]) && o[1] != labelCount)
            throw Fail(model, $"classifier output '{outputName}' {Shape(output)} has {o[1]} logits per image but the labels file has {labelCount} labels.");
        return new ClassifierContract(inputName, outputName, fixedBatch, labelCount, !IsFixed(o[1]));
    }

    internal static ModelContractException Fail(OnnxModelSession model, string problem) => new(model.ModelName, problem);

    private static bool IsFixed(int dim) => dim > 0;

    private static bool FixedOrDynamic(int dim, int expected) => !IsFixed(dim) || dim == expected;

    private static string Shape(NodeMetadata meta)
    {
        var parts = new string[meta.Dimensions.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var symbolic = i < meta.SymbolicDimensions.Length ? meta.SymbolicDimensions[i] : null;
            parts[i] = IsFixed(meta.Dimensions[i]) ? meta.Dimensions[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : string.IsNullOrEmpty(symbolic) ? "?" : symbolic;
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private static (string Name, NodeMetadata Meta) SingleFloatInput(OnnxModelSession model, string role)
    {
        var inputs = model.Session.InputMetadata;
        if (inputs.Count != 1)
            throw Fail(model, $"a {role} must have exactly one input; this model has {inputs.Count} ({string.Join(", ", inputs.Keys)}).");
        var (name, meta) = inputs.First();
        RequireFloatTensor(model, role, "input", name, meta);
        return (name, meta);
    }

    private static (string Name, NodeMetadata Meta) FirstFloatOutput(OnnxModelSession model, string role)
    {
        var names = model.Session.OutputNames;
        if (names.Count == 0) throw Fail(model, $"the {role} has no outputs.");
        var name = names[0];
        var meta = model.Session.OutputMetadata[name];
        RequireFloatTensor(model, role, "output", name, meta);
        return (name, meta);
    }

    private static void RequireFloatTensor(OnnxModelSession model, string role, string kind, string name, NodeMetadata meta)
    {
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
            throw Fail(model, $"{role} {kind} '{name}' must be a float32 tensor; it is {(meta.IsTensor ? meta.ElementDataType.ToString() : meta.OnnxValueType.ToString())}.");
    }
}
