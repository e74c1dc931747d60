using static Atlas.Infrastructure.Onnx.OnnxGraphBuilder;
using Atlas.Infrastructure.Onnx;

namespace Atlas.Infrastructure.Models.Demo;

/// <summary>
/// Builds the demo classifier: same contract as the SpeciesNet classifier export (input <c>crops</c> float NHWC
/// <c>[B, 480, 480, 3]</c>, output <c>logits</c> <c>[B, labels]</c>) over <see cref="DemoLabels.Classifier"/>.
/// It is a soft nearest-prototype classifier on the crop's mean colour m:
/// <code>
/// m       = ReduceMean(crops, axes [1, 2])                      [B, 3]
/// w       = softmax_p(−k·‖m − c_p‖²), k = 400                    [B, P]   (as MatMul + bias: 2k·c_p·m − k·‖c_p‖²)
/// logits  = w · ln D                                              [B, L]
/// </code>
/// where c_p are the <see cref="DemoColours.All"/> prototype colours and row p of D is that prototype's full
/// score distribution: its <see cref="DemoColour.Top5"/> plus the remaining probability shared equally by the
/// other labels (always below the fifth score). At a prototype colour w is one-hot to ~1e-10, so the softmax of
/// the logits is exactly D_p; between prototypes the distributions blend continuously.
/// </summary>
public static class DemoClassifierModel
{
    public const string InputName = "crops";
    public const string OutputName = "logits";
    public const float Sharpness = 400f;

    /// <summary>The ONNX model bytes (deterministic).</summary>
    public static byte[] Build()
    {
        var prototypes = DemoColours.All;
        var labels = DemoLabels.Classifier.Count;
        var p = prototypes.Count;

        var weights = new float[3 * p];
        var bias = new float[p];
        var logD = new float[p * labels];
        for (var j = 0; j < p; j++)
        {
            var (r, g, b) = prototypes[j].Unit;
            weights[0 * p + j] = 2 * Sharpness * r;
            weights[1 * p + j] = 2 * Sharpness * g;
            weights[2 * p + j] = 2 * Sharpness * b;
            bias[j] = -Sharpness * (r * r + g * g + b * b);
            var distribution = Distribution(prototypes[j]);
            for (var l = 0; l < labels; l++) logD[j * labels + l] = MathF.Log(distribution[l]);
        }

        var builder = new OnnxGraphBuilder("atlas_demo_classifier");
        const int size = ModelContracts.ClassifierInputSize;
        var crops = builder.Input(InputName, "batch", size, size, 3);
        var mean = builder.Node("ReduceMean", [crops], attributes: [Ints("axes", 1, 2), Int("keepdims", 0)]);
        var affinity = builder.Node("Add", [builder.Node("MatMul", [mean, builder.Constant(weights, 3, p)]), builder.Constant(bias, p)]);
        var membership = builder.Node("Softmax", [affinity], attributes: [Int("axis", -1)]);
        builder.Node("MatMul", [membership, builder.Constant(logD, p, labels)], OutputName);
        builder.Output(OutputName, "batch", labels);
        return builder.ToBytes("Atlas demo classifier");
    }

    /// <summary>
    /// The full score vector (in <see cref="DemoLabels.Classifier"/> order) the classifier gives at
    /// <paramref name="colour"/>: the top 5 as listed, the rest of the probability split evenly.
    /// </summary>
    /// <exception cref="InvalidOperationException">The table entry is not a valid top 5 (not descending, sums over 1, or the rest would tie with it).</exception>
    public static float[] Distribution(DemoColour colour)
    {
        ArgumentNullException.ThrowIfNull(colour);
        var labels = DemoLabels.Classifier.Count;
        var scores = new float[labels];
        var listed = new bool[labels];
        var sum = 0.0;
        var previous = float.PositiveInfinity;
        foreach (var entry in colour.Top5)
        {
            var index = DemoLabels.IndexOf(entry.Label);
            if (listed[index] || !(entry.Score < previous))
                throw new InvalidOperationException($"Demo colour '{colour.Name}': top 5 must list distinct labels in strictly descending order.");
            listed[index] = true;
            scores[index] = entry.Score;
            sum += entry.Score;
            previous = entry.Score;
        }

        var rest = (float)((1.0 - sum) / (labels - colour.Top5.Count));
        if (colour.Top5.Count != 5 || !(rest > 0f) || !(rest < previous))
            throw new InvalidOperationException($"Demo colour '{colour.Name}': the five scores must leave each other label a share (here {rest}) above 0 and below the fifth score.");
        for (var l = 0; l < labels; l++)
            if (!listed[l]) scores[l] = rest;
        return scores;
    }
}
