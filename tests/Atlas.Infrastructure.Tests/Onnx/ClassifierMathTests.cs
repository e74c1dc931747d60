#pragma warning disable CA1861 // expected values written inline in assertions read better than static fields
using Atlas.Infrastructure.Onnx;

namespace Atlas.Infrastructure.Tests.Onnx;

[TestFixture]
public sealed class ClassifierMathTests
{
    [Test]
    public void Softmax_SmallLogits_MatchesDoublePrecisionReference()
    {
        float[] logits = [1f, 2f, 3f, -1f];
        var probabilities = new float[4];

        ClassifierMath.Softmax(logits, probabilities);

        var sum = logits.Sum(x => Math.Exp(x));
        for (var i = 0; i < logits.Length; i++)
            Assert.That(probabilities[i], Is.EqualTo(Math.Exp(logits[i]) / sum).Within(1e-7));
    }

    /// <summary>
    /// The SpeciesNet classifier has 2,498 labels. A single float32 accumulator over that many exponentials drifts by
    /// up to ~1e-4 (e.g. 0.9776 for an exact 0.97773); the sum must be exact enough that every top-5 score is within
    /// 1e-6 of a float64 softmax of the same float32 logits.
    /// </summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    public void SoftmaxTopK_Width2498_Top5WithinOneMillionthOfFloat64Reference(int seed)
    {
        var random = new Random(seed);
        const int width = 2498;
        for (var trial = 0; trial < 40; trial++)
        {
            var logits = new float[width];
            // Mostly background logits, a few strong classes and one winner whose share varies from ~0.3 to ~0.999.
            for (var i = 0; i < width; i++) logits[i] = (float)(random.NextDouble() * 4 - 2);
            for (var j = 0; j < 4; j++) logits[random.Next(width)] = (float)(3 + random.NextDouble() * 4);
            logits[random.Next(width)] = (float)(6 + random.NextDouble() * 10);

            var top = ClassifierMath.SoftmaxTopK(logits, 5);

            var max = logits.Max();
            var sum = logits.Sum(x => Math.Exp((double)x - max));
            var reference = logits.Select((x, i) => (Score: Math.Exp((double)x - max) / sum, Index: i))
                .OrderByDescending(p => p.Score).ThenBy(p => p.Index).Take(5).ToArray();
            Assert.That(top.Indices, Is.EqualTo(reference.Select(r => r.Index).ToArray()), $"trial {trial}");
            for (var k = 0; k < 5; k++)
            {
                Assert.That((double)top.Scores[k], Is.EqualTo(reference[k].Score).Within(1e-6), $"trial {trial}, rank {k}");
            }
        }
    }

    [Test]
    public void Softmax_HugeLogits_StaysFinite()
    {
        float[] logits = [1000f, 1001f, -1000f];
        var probabilities = new float[3];

        ClassifierMath.Softmax(logits, probabilities);

        Assert.That(probabilities, Is.EqualTo(new[] { 0.26894142f, 0.7310586f, 0f }).Within(1e-6));
    }

    [Test]
    public void Softmax_InPlace_GivesSameResult()
    {
        float[] logits = [0.5f, -2f, 4f];
        var copy = new float[3];
        ClassifierMath.Softmax(logits, copy);

        ClassifierMath.Softmax(logits, logits);

        Assert.That(logits, Is.EqualTo(copy));
    }

    [Test]
    public void SelectTopK_UnsortedScores_ReturnsDescendingWithIndices()
    {
        float[] scores = [0.1f, 0.5f, 0.05f, 0.3f, 0.02f, 0.03f];

        var top = ClassifierMath.SelectTopK(scores, 3);

        Assert.That(top.Indices, Is.EqualTo(new[] { 1, 3, 0 }));
        Assert.That(top.Scores, Is.EqualTo(new[] { 0.5f, 0.3f, 0.1f }));
    }

    [Test]
    public void SelectTopK_Ties_KeepLowerIndexFirst()
    {
        var top = ClassifierMath.SelectTopK([0.2f, 0.4f, 0.2f, 0.4f], 3);

        Assert.That(top.Indices, Is.EqualTo(new[] { 1, 3, 0 }));
    }

    [Test]
    public void SelectTopK_KLargerThanScores_ReturnsAll()
    {
        var top = ClassifierMath.SelectTopK([0.3f, 0.7f], 5);

        Assert.That(top.Indices, Is.EqualTo(new[] { 1, 0 }));
    }

    [Test]
    public void SoftmaxTopK_Logits_ReturnsTopProbabilities()
    {
        var top = ClassifierMath.SoftmaxTopK([0f, 2f, 1f], 2);

        Assert.That(top.Indices, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(top.Scores[0], Is.EqualTo(Math.Exp(2) / (1 + Math.Exp(1) + Math.Exp(2))).Within(1e-7));
    }
}
