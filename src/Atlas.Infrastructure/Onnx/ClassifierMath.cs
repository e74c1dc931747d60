namespace Atlas.Infrastructure.Onnx;

/// <summary>Top-k labels of one image: indices into the labels file and their softmax scores, best first.</summary>
public sealed record TopK(int[] Indices, float[] Scores);

/// <summary>
/// Score helpers (spec 3.1: softmax over the logits, top 5). Scores are float32, but the softmax is accumulated in
/// double, so each one is the exact softmax rounded once (within 1e-6 of a float64 reference, and of PyTorch).
/// </summary>
public static class ClassifierMath
{
    /// <summary>
    /// Numerically stable softmax: subtract the maximum, exponentiate, sum, divide. The exponentials and their sum are
    /// computed in double: a single float32 accumulator over SpeciesNet's 2,498 classes drifts by up to ~1e-4 (PyTorch's
    /// vectorised CPU kernel reduces in many lanes and is far closer to exact), while a double sum keeps every score
    /// within float32 rounding of the exact softmax. <paramref name="probabilities"/> may be the same memory as
    /// <paramref name="logits"/> (in place).
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.IsEmpty) throw new ArgumentException("Softmax needs at least one logit.", nameof(logits));
        if (probabilities.Length < logits.Length)
            throw new ArgumentException("The destination is shorter than the logits.", nameof(probabilities));

        var max = float.NegativeInfinity;
        foreach (var x in logits) max = MathF.Max(max, x);

        var sum = 0d;
        for (var i = 0; i < logits.Length; i++) sum += Math.Exp((double)logits[i] - max);

        // Second pass recomputes each exponential rather than storing a rounded float, so the quotient is exact to
        // double precision before the one final rounding to float32.
        for (var i = 0; i < logits.Length; i++) probabilities[i] = (float)(Math.Exp((double)logits[i] - max) / sum);
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
