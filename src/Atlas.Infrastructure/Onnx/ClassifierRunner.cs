using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// Runs the classifier (spec 3.1) on a batch of NHWC 480x480 crops and returns raw logits <c>[batch, labels]</c>,
/// written by ONNX Runtime straight into a pooled buffer. <see cref="Run"/> is thread-safe and takes no lock.
/// Owns and disposes the session.
/// </summary>
public sealed class ClassifierRunner : IDisposable
{
    private const int ImageValues = ModelContracts.ClassifierInputSize * ModelContracts.ClassifierInputSize * 3;

    private readonly OnnxModelSession _model;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    /// <summary>Validates <paramref name="model"/> against the classifier contract for <paramref name="labelCount"/> labels and takes ownership of it.</summary>
    /// <exception cref="ModelContractException">The model is not NHWC [B,480,480,3] -> [B,labels].</exception>
    public ClassifierRunner(OnnxModelSession model, int labelCount)
    {
        ArgumentNullException.ThrowIfNull(model);
        Contract = ModelContracts.ValidateClassifier(model, labelCount);
        _model = model;
        _inputNames = [Contract.InputName];
        _outputNames = [Contract.OutputName];
    }

    /// <summary>Input/output names, fixed batch (if any) and label count.</summary>
    public ClassifierContract Contract { get; }

    /// <summary>Number of labels = logits per image.</summary>
    public int LabelCount => Contract.LabelCount;

    /// <summary>The loaded model (name and execution provider).</summary>
    public OnnxModelSession Model => _model;

    /// <summary>
    /// Runs the classifier on <paramref name="nhwc"/> = <c>[batch, 480, 480, 3]</c> float values 0..1; only the first
    /// batch·480·480·3 values are read, so a larger pooled buffer can be passed as is.
    /// </summary>
    /// <returns>batch rows x <see cref="LabelCount"/> logits; dispose it when read.</returns>
    /// <exception cref="ArgumentException">The buffer is too short or the batch differs from a fixed export batch.</exception>
    public OnnxOutput Run(ReadOnlyMemory<float> nhwc, int batch)
    {
        using var input = CreateInput(nhwc, batch);
        var values = batch * LabelCount;
        var pooled = ArrayPool<float>.Shared.Rent(values);
        try
        {
            using (var output = OrtValue.CreateTensorValueFromMemory(
                       OrtMemoryInfo.DefaultInstance, pooled.AsMemory(0, values), [batch, LabelCount]))
            {
                _model.Session.Run(_runOptions, _inputNames, [input], _outputNames, [output]);
            }

            return OnnxOutput.FromPool(pooled, batch, LabelCount);
        }
        catch
        {
            ArrayPool<float>.Shared.Return(pooled);
            throw;
        }
    }

    /// <summary>Runs the batch and returns, per image, the softmax top <paramref name="k"/> (spec 3.1: k = 5).</summary>
    public TopK[] RunTopK(ReadOnlyMemory<float> nhwc, int batch, int k = 5)
    {
        using var logits = Run(nhwc, batch);
        var result = new TopK[batch];
        for (var i = 0; i < batch; i++) result[i] = ClassifierMath.SoftmaxTopK(logits.Row(i), k);
        return result;
    }

    /// <summary>
    /// Runs once on zeros (batch 1, or the fixed batch) letting ONNX Runtime size the output, and checks that it is
    /// <c>[batch, labels]</c>: this is where a dynamic-width export with the wrong labels file is caught.
    /// </summary>
    /// <exception cref="ModelContractException">The output width differs from the label count.</exception>
    public void WarmUp()
    {
        var batch = Contract.FixedBatchSize ?? 1;
        using var input = CreateInput(new float[batch * ImageValues], batch);
        using var outputs = _model.Session.Run(_runOptions, _inputNames, [input], _outputNames);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        if (shape.Length != 2 || shape[0] != batch || shape[1] != LabelCount)
            throw ModelContracts.Fail(_model, $"classifier output '{Contract.OutputName}' came back as [{string.Join(", ", shape)}] for a batch of {batch}; expected [{batch}, {LabelCount}] (one logit per line of the labels file).");
    }

    private OrtValue CreateInput(ReadOnlyMemory<float> nhwc, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (Contract.FixedBatchSize is { } fixedBatch && fixedBatch != batch)
            throw new ArgumentException($"Model '{_model.ModelName}' was exported for batch {fixedBatch} only; got {batch}.", nameof(batch));
        var length = (long)batch * ImageValues;
        if (nhwc.Length < length)
            throw new ArgumentException($"The input holds {nhwc.Length} values; [{batch}, 480, 480, 3] needs {length}.", nameof(nhwc));
        const int size = ModelContracts.ClassifierInputSize;
        return OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(nhwc[..(int)length]), [batch, size, size, 3]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        _model.Dispose();
    }
}
