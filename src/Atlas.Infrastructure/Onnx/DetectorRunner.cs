using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// Runs the detector (spec 2.3) on one letterboxed NCHW tensor and returns its raw rows
/// (cx, cy, w, h in input pixels, objectness, p(animal), p(person), p(vehicle)); decoding and NMS happen elsewhere.
/// <see cref="Run"/> is thread-safe and takes no lock (ONNX Runtime sessions allow concurrent runs).
/// Owns and disposes the session.
/// </summary>
public sealed class DetectorRunner : IDisposable
{
    private readonly OnnxModelSession _model;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    /// <summary>Validates <paramref name="model"/> against the detector contract and takes ownership of it.</summary>
    /// <exception cref="ModelContractException">The model does not look like a raw YOLO detector.</exception>
    public DetectorRunner(OnnxModelSession model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract = ModelContracts.ValidateDetector(model);
        _model = model;
        _inputNames = [Contract.InputName];
        _outputNames = [Contract.OutputName];
    }

    /// <summary>Input/output names and sizes read from the model.</summary>
    public DetectorContract Contract { get; }

    /// <summary>The size every input must have for per-size exports; null when the model accepts any H and W.</summary>
    public InputSize? FixedInputSize => Contract.FixedInputSize;

    /// <summary>The loaded model (name and execution provider).</summary>
    public OnnxModelSession Model => _model;

    /// <summary>
    /// Runs the detector on <paramref name="nchw"/> = <c>[1, 3, height, width]</c> float values 0..1; only the first
    /// 3·height·width values are read, so a larger pooled buffer can be passed as is.
    /// </summary>
    /// <returns>N rows x 8 columns; dispose it when read.</returns>
    /// <exception cref="ArgumentException">The buffer is too short, or the size differs from <see cref="FixedInputSize"/>.</exception>
    /// <exception cref="ModelContractException">The output is not [1, N, 8].</exception>
    public OnnxOutput Run(ReadOnlyMemory<float> nchw, int height, int width) => RunBatch(nchw, 1, height, width);

    /// <summary>
    /// Runs the detector on <paramref name="batch"/> images of one size, <c>[batch, 3, height, width]</c> (a batch
    /// above 1 needs <see cref="DetectorContract.BatchDynamic"/>); only the first batch·3·height·width values are read.
    /// </summary>
    /// <returns>batch·N rows x 8 columns, image after image (N = Rows / batch rows each); dispose it when read.</returns>
    /// <exception cref="ArgumentException">The buffer is too short, the size differs from <see cref="FixedInputSize"/>, or the model's batch is fixed.</exception>
    /// <exception cref="ModelContractException">The output is not [batch, N, 8].</exception>
    public OnnxOutput RunBatch(ReadOnlyMemory<float> nchw, int batch, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (batch > 1 && !Contract.BatchDynamic)
            throw new ArgumentException($"Model '{_model.ModelName}' has a fixed batch of 1; got {batch}.", nameof(batch));
        if (FixedInputSize is { } size && (size.Height != height || size.Width != width))
            throw new ArgumentException($"Model '{_model.ModelName}' was exported for {size} input only; got {width}x{height}.", nameof(nchw));
        var length = 3L * batch * height * width;
        if (nchw.Length < length)
            throw new ArgumentException($"The input holds {nchw.Length} values; [{batch}, 3, {height}, {width}] needs {length}.", nameof(nchw));

        using var input = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(nchw[..(int)length]), [batch, 3, height, width]);
        var outputs = _model.Session.Run(_runOptions, _inputNames, [input], _outputNames);
        try
        {
            var output = outputs[0];
            var shape = output.GetTensorTypeAndShape().Shape;
            if (shape.Length != 3 || shape[0] != batch || shape[2] != ModelContracts.DetectorColumns)
                throw ModelContracts.Fail(_model, $"detector output '{Contract.OutputName}' came back as [{string.Join(", ", shape)}]; expected [{batch}, N, {ModelContracts.DetectorColumns}].");
            return OnnxOutput.FromNative(outputs, output, checked((int)(shape[0] * shape[1])), ModelContracts.DetectorColumns);
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs once on zeros so the first request does not pay for lazy initialisation (and, for models with a
    /// dynamic column count, checks that rows have 8 columns). Per-size exports use their fixed size and ignore
    /// the arguments; otherwise pass the letterbox size expected most often (1280x960 for 4:3 camera traps).
    /// </summary>
    public void WarmUp(int height = 960, int width = 1280)
    {
        if (FixedInputSize is { } size) (height, width) = (size.Height, size.Width);
        var zeros = new float[3 * height * width];
        using var output = Run(zeros, height, width);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        _model.Dispose();
    }
}
