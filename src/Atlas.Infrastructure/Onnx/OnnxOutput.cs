using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// A 2-D float result (<see cref="Rows"/> x <see cref="Columns"/>, row-major) read straight from native or pooled
/// memory without a managed copy. It is backed either by an <see cref="ArrayPool{T}"/> buffer that ONNX Runtime
/// wrote into (shape known before the run) or by the runtime's own output tensor, which comes from its memory
/// arena (shape known only after the run). Dispose it as soon as the numbers are read: that returns the buffer.
/// Not thread-safe; one owner.
/// </summary>
public sealed class OnnxOutput : IDisposable
{
    private float[]? _pooled;
    private IDisposable? _native;
    private readonly OrtValue? _value;

    private OnnxOutput(int rows, int columns, float[]? pooled, IDisposable? native, OrtValue? value)
    {
        Rows = rows;
        Columns = columns;
        _pooled = pooled;
        _native = native;
        _value = value;
    }

    /// <summary>Number of rows (detections for the detector, images for the classifier).</summary>
    public int Rows { get; }

    /// <summary>Values per row (8 for the detector, the label count for the classifier).</summary>
    public int Columns { get; }

    /// <summary>All values, row-major.</summary>
    public ReadOnlySpan<float> Span
    {
        get
        {
            if (_pooled is not null) return _pooled.AsSpan(0, Rows * Columns);
            if (_value is not null && _native is not null) return _value.GetTensorDataAsSpan<float>()[..(Rows * Columns)];
            throw new ObjectDisposedException(nameof(OnnxOutput));
        }
    }

    /// <summary>One row.</summary>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Rows);
        return Span.Slice(index * Columns, Columns);
    }

    internal static OnnxOutput FromPool(float[] pooled, int rows, int columns) => new(rows, columns, pooled, null, null);

    /// <summary>Wraps <paramref name="value"/>, which stays alive until <paramref name="owner"/> is disposed.</summary>
    internal static OnnxOutput FromNative(IDisposable owner, OrtValue value, int rows, int columns) => new(rows, columns, null, owner, value);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_pooled is not null)
        {
            ArrayPool<float>.Shared.Return(_pooled);
            _pooled = null;
        }

        _native?.Dispose();
        _native = null;
    }
}
