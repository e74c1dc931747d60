using Atlas.Infrastructure.Imaging;
using SpeciesNetDetection = Atlas.Domain.SpeciesNet.Detection;

namespace Atlas.Infrastructure.Detection;

/// <summary>
/// Turns MegaDetector v5's raw head output into SpeciesNet detections (spec 2.3-2.5): yolov5 7.0
/// <c>non_max_suppression(conf_thres=0.01)</c> with its defaults, then <c>scale_boxes</c>, <c>.round()</c> and
/// SpeciesNet's float32/float64 box arithmetic, so bboxes match the reference bit for bit.
/// Pure and thread-safe.
/// </summary>
public static class YoloPostProcessor
{
    /// <summary>Columns per row: cx, cy, w, h, objectness, p(animal), p(person), p(vehicle).</summary>
    public const int Columns = 8;

    /// <summary>SpeciesNet's detector threshold, applied to objectness and to the class score (strictly greater).</summary>
    public const float ConfidenceThreshold = 0.01f;

    public const double IouThreshold = 0.45;

    /// <summary>yolov5 <c>max_nms</c>: candidates kept (by score) before NMS.</summary>
    public const int MaxCandidates = 30000;

    /// <summary>yolov5 <c>max_det</c>.</summary>
    public const int MaxDetections = 300;

    /// <summary>yolov5 <c>max_wh</c>: per-class box offset that keeps NMS class-aware.</summary>
    public const float ClassOffset = 7680f;

    private static readonly (string Category, string Label)[] Classes = [("1", "animal"), ("2", "human"), ("3", "vehicle")];

    /// <summary>Post-processes the output for an image letterboxed with <paramref name="geometry"/>.</summary>
    public static IReadOnlyList<SpeciesNetDetection> Process(ReadOnlySpan<float> output, in LetterboxGeometry geometry) =>
        Process(output, geometry.PaddedWidth, geometry.PaddedHeight, geometry.SourceWidth, geometry.SourceHeight);

    /// <summary>
    /// Post-processes one image's output [N, 8] (any N; boxes in input-tensor pixels, already sigmoid-decoded).
    /// Returns detections sorted by confidence, descending; bbox = [xmin, ymin, width, height] normalized to the
    /// original <paramref name="imageWidth"/> x <paramref name="imageHeight"/>.
    /// </summary>
    public static IReadOnlyList<SpeciesNetDetection> Process(
        ReadOnlySpan<float> output, int inputWidth, int inputHeight, int imageWidth, int imageHeight)
    {
        if (output.Length % Columns != 0)
        {
            throw new ArgumentException($"Detector output length {output.Length} is not a multiple of {Columns} columns.", nameof(output));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);

        var candidates = SelectCandidates(output);
        if (candidates.Count == 0) return [];
        // Score descending; ties keep row order (a stable sort).
        candidates.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        if (candidates.Count > MaxCandidates) candidates.RemoveRange(MaxCandidates, candidates.Count - MaxCandidates);

        var kept = NonMaxSuppression(candidates);
        // NMS keeps boxes in global score order, which is already SpeciesNet's final "sort by conf" order.
        var detections = new SpeciesNetDetection[kept.Count];
        for (var i = 0; i < kept.Count; i++)
        {
            detections[i] = ToDetection(kept[i], inputWidth, inputHeight, imageWidth, imageHeight);
        }
        return detections;
    }

    private static List<Candidate> SelectCandidates(ReadOnlySpan<float> output)
    {
        var candidates = new List<Candidate>(256);
        var rows = output.Length / Columns;
        for (var i = 0; i < rows; i++)
        {
            var r = output.Slice(i * Columns, Columns);
            var objectness = r[4];
            if (!(objectness > ConfidenceThreshold)) continue;
            // score = obj x class prob in float32; best class only (first maximum, as torch.max).
            var best = r[5] * objectness;
            var cls = 0;
            for (var c = 1; c < Columns - 5; c++)
            {
                var s = r[5 + c] * objectness;
                if (s > best)
                {
                    best = s;
                    cls = c;
                }
            }
            if (!(best > ConfidenceThreshold)) continue;
            float cx = r[0], cy = r[1], halfW = r[2] / 2f, halfH = r[3] / 2f;
            candidates.Add(new Candidate(i, cx - halfW, cy - halfH, cx + halfW, cy + halfH, best, cls));
        }
        return candidates;
    }

    /// <summary>torchvision <c>nms</c> (CPU kernel, float32) on boxes offset by class x 7680; stops at max_det.</summary>
    private static List<Candidate> NonMaxSuppression(List<Candidate> sorted)
    {
        var n = sorted.Count;
        var x1 = new float[n];
        var y1 = new float[n];
        var x2 = new float[n];
        var y2 = new float[n];
        var area = new float[n];
        for (var i = 0; i < n; i++)
        {
            var c = sorted[i];
            var offset = c.Class * ClassOffset;
            x1[i] = c.X1 + offset;
            y1[i] = c.Y1 + offset;
            x2[i] = c.X2 + offset;
            y2[i] = c.Y2 + offset;
            area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
        }

        var suppressed = new bool[n];
        var kept = new List<Candidate>(Math.Min(n, MaxDetections));
        for (var i = 0; i < n && kept.Count < MaxDetections; i++)
        {
            if (suppressed[i]) continue;
            kept.Add(sorted[i]);
            float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iArea = area[i];
            for (var j = i + 1; j < n; j++)
            {
                if (suppressed[j]) continue;
                var w = MathF.Max(0f, MathF.Min(ix2, x2[j]) - MathF.Max(ix1, x1[j]));
                var h = MathF.Max(0f, MathF.Min(iy2, y2[j]) - MathF.Max(iy1, y1[j]));
                var inter = w * h;
                var iou = inter / (iArea + area[j] - inter);
                if (iou > IouThreshold) suppressed[j] = true;
            }
        }
        return kept;
    }

    private static SpeciesNetDetection ToDetection(Candidate c, int inputWidth, int inputHeight, int imageWidth, int imageHeight)
    {
        // yolov5 7.0 scale_boxes: gain and (unrounded) pad in float64, applied to float32 boxes.
        var gain = Math.Min((double)inputHeight / imageHeight, (double)inputWidth / imageWidth);
        var padX = (float)((inputWidth - (imageWidth * gain)) / 2);
        var padY = (float)((inputHeight - (imageHeight * gain)) / 2);
        var g = (float)gain;
        var x1 = Pixel((c.X1 - padX) / g, imageWidth);
        var y1 = Pixel((c.Y1 - padY) / g, imageHeight);
        var x2 = Pixel((c.X2 - padX) / g, imageWidth);
        var y2 = Pixel((c.Y2 - padY) / g, imageHeight);

        // xyxy2xywhn in float32, then SpeciesNet's [xmin, ymin, w, h] in float64.
        var cx = (x1 + x2) / 2f / imageWidth;
        var cy = (y1 + y2) / 2f / imageHeight;
        var w = (x2 - x1) / imageWidth;
        var h = (y2 - y1) / imageHeight;
        double[] bbox = [cx - (w / 2.0), cy - (h / 2.0), w, h];

        var (category, label) = Classes[c.Class];
        return new SpeciesNetDetection(category, label, c.Score, bbox);
    }

    // clip_boxes then torch.round (half to even).
    private static float Pixel(float v, int limit) => MathF.Round(Math.Clamp(v, 0f, limit), MidpointRounding.ToEven);

    private readonly record struct Candidate(int Row, float X1, float Y1, float X2, float Y2, float Score, int Class);
}
