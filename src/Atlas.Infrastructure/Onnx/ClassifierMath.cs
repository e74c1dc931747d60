namespace Atlas.Infrastructure.Onnx;

/// <summary>Top-k labels of one image: indices into the labels file and their softmax scores, best first.</summary>
public sealed record TopK(int[] Indices, float[] Scores);

/// <summary>
/// Score helpers computed in float32 the way PyTorch does on the CPU (spec 3.1: softmax over the logits, top 5),
/// so scores match the reference to the last bit or two.
/// </summary>
public static class ClassifierMath
{
    /// <summary>
    /// Numerically stable softmax: subtract the maximum, exponentiate, sum in float32, multiply by the reciprocal
    /// of the sum (torch's CPU kernel does the same). <paramref name="probabilities"/> may be the same memory as <paramref name="logits"/> (in place).
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.IsEmpty) throw new ArgumentException("Softmax needs at least one logit.", nameof(logits));
        if (probabilities.Length < logits.Length)
            throw new ArgumentException("The destination is shorter than the logits.", nameof(probabilities));

        var max = float.NegativeInfinity;
        foreach (var x in logits) max = MathF.Max(max, x);

        var sum = 0f;
        for (var i = 0; i < logits.Length; i++)
        {
            var e = MathF.Exp(logits[i] - max);
            probabilities[i] = e;
            sum += e;
        }

        var scale = 1f / sum;
        for (var i = 0; i < logits.Length; i++) probabilities[i] *= scale;
    }

    /// <summary>
    /// The <paramref name="k"/> largest scores, descending; ties keep the lower index first. k is capped at the
    /// number of scores.
    /// </summary>
    public static TopK SelectTopK(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        k = Math.Min(k, scores.Length);
        var indices = new int[k];
        var values = new float[k];
        var count = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var v = scores[i];
            if (count == k && !(v > values[k - 1])) continue;

            var pos = count < k ? count++ : k - 1;
            while (pos > 0 && v > values[pos - 1])
            {
                values[pos] = values[pos - 1];
                indices[pos] = indices[pos - 1];
                pos--;
            }

            values[pos] = v;
            indices[pos] = i;
        }

        return new TopK(indices, values);
    }

    /// <summary>Softmax of one row of logits followed by its top <paramref name="k"/>.</summary>
    public static TopK SoftmaxTopK(ReadOnlySpan<float> logits, int k)
    {
        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(logits.Length);
        try
        {
            var probabilities = buffer.AsSpan(0, logits.Length);
            Softmax(logits, probabilities);
            return SelectTopK(probabilities, k);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
