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
