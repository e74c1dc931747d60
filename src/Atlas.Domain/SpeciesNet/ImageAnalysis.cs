namespace Atlas.Domain.SpeciesNet;

/// <summary>Which SpeciesNet components run on an image, as SpeciesNet's <c>run_model</c> flags choose them.</summary>
public enum ComponentMode
{
    /// <summary>Detector, classifier and ensemble (the default; SpeciesNet without flags).</summary>
    Full,

    /// <summary>Only MegaDetector (<c>--detector_only</c>): the answer has detections, no classifications or prediction.</summary>
    DetectorOnly,

    /// <summary>Only the classifier on the whole image (<c>--classifier_only</c>): classifications, no detections or prediction.</summary>
    ClassifierOnly,
}

/// <summary>
/// Settings of <c>classify_all_boxes</c> (cameratrapai PR #73): every animal box whose confidence is at least
/// <paramref name="MinConfidence"/> is cropped and classified, the rule chain runs once per box, and the best
/// <paramref name="MaxClassifications"/> answers (by score) are reported beside the image-level prediction.
/// </summary>
public sealed record BoxClassificationOptions(int MaxClassifications, double MinConfidence)
{
    public const int DefaultMaxClassifications = 5;
    public const double DefaultMinConfidence = 0.2;
}

/// <summary>How to analyse one image. <see cref="Default"/> is exactly SpeciesNet's full ensemble.</summary>
public sealed record AnalysisOptions(ComponentMode Mode, BoxClassificationOptions? ClassifyAllBoxes)
{
    public static readonly AnalysisOptions Default = new(ComponentMode.Full, null);
}

/// <summary>The ensemble's answer for one detector box (cameratrapai PR #73 shape).</summary>
public sealed record BoxPrediction(string Prediction, double PredictionScore, string PredictionSource, IReadOnlyList<double> Bbox);

/// <summary>
/// One analysed image: the SpeciesNet answer, the decoded size (after EXIF orientation, the frame the boxes refer
/// to) and, with <c>classify_all_boxes</c>, one prediction per classified box sorted by score (else null).
/// </summary>
public sealed record ImageAnalysis(SpeciesNetPrediction Prediction, int Width, int Height, IReadOnlyList<BoxPrediction>? BoxPredictions);
