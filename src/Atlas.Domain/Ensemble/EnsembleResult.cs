namespace Atlas.Domain.Ensemble;

/// <summary>The ensemble's decision for one image (spec 4.6).</summary>
/// <param name="Prediction">The chosen 7-field label string.</param>
/// <param name="Score">A detector confidence, a softmax score, or a rolled-up sum of top-5 softmax scores.</param>
/// <param name="Source">Which rule decided; one of the <see cref="PredictionSources"/> strings.</param>
public sealed record EnsembleResult(string Prediction, double Score, string Source);
