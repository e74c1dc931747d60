using System.Buffers;
using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using DetectionBox = Atlas.Domain.SpeciesNet.Detection;

namespace Atlas.Bench;

/// <summary>
/// Section "scaled": decode + letterbox with the exact full-resolution decode vs libjpeg-turbo DCT-scaled decode
/// (<see cref="ImageDecoder.TryDecodeScaled"/>), the crop's region decode vs a full decode, and the fidelity cost:
/// max/mean |difference| of the detector tensor and whether the demo / stand-in detector's detections change.
/// </summary>
internal static class ScaledDecodeBenchmark
{
    private const string Section = "1b. scaled JPEG decode";

    /// <summary>The elephant box of section 1, as a normalized [x, y, w, h] crop.</summary>
    private static readonly double[] Box = [0.7041015625, 0.4765625, 0.11083984375, 0.125];

    public static IEnumerable<Measurement> Run(byte[] photo, string photoName, OnnxRuntimeOptions onnx, string? standInDetector, Report report)
    {
        var decoder = new ImageDecoder();
        var budget = TimeSpan.FromSeconds(6);
        var inputs = new List<(string Name, byte[] Jpeg)>
        {
            ("synthetic 4000x3000 q90", SyntheticInputs.Jpeg(4000, 3000, 7)),
            ("synthetic 2048x1536 q90", SyntheticInputs.Jpeg(2048, 1536, 7)),
            (photoName, photo),
        };
        if (PhotoUpscaled(photo) is { } big) inputs.Add(($"{photoName} re-encoded at 4096x3072 q92", big));

        var factory = new OnnxSessionFactory(onnx, NullLogger<OnnxSessionFactory>.Instance);
        using var demo = new DetectorRunner(factory.Create(DemoDetectorModel.Build(), "demo detector"));
        using var standIn = standInDetector is not null && File.Exists(standInDetector) ? new DetectorRunner(factory.Create(standInDetector)) : null;

        foreach (var (name, jpeg) in inputs)
        {
            using var exact = decoder.Decode(jpeg);
            var geometry = standIn?.FixedInputSize is { } fixedSize
                ? LetterboxGeometry.ComputeFixed(exact.Width, exact.Height, fixedSize.Width, fixedSize.Height)
                : LetterboxGeometry.Compute(exact.Width, exact.Height);
            (int, int) Need(int w, int h) => (geometry.ResizedWidth, geometry.ResizedHeight);
            var exactTensor = new float[geometry.TensorLength];
            Letterbox.ToTensor(exact, geometry, exactTensor);

            yield return Harness.Measure(Section, $"{name}: exact decode + letterbox", () =>
            {
                using var image = decoder.Decode(jpeg);
                var tensor = ArrayPool<float>.Shared.Rent(geometry.TensorLength);
                Letterbox.ToTensor(image, geometry, tensor);
                ArrayPool<float>.Shared.Return(tensor);
            }, 2, 20, budget);

            foreach (var eighths in new[] { 4, 7 })
            {
                using var scaled = decoder.TryDecodeScaled(jpeg, Need, out _, out _, eighths);
                if (scaled is null)
                {
                    report.Line($"{name}: scale <= {eighths}/8 not possible (needs {geometry.ResizedWidth}x{geometry.ResizedHeight}): decoded exactly.");
                    continue;
                }
                var scaledTensor = new float[geometry.TensorLength];
                Letterbox.ToTensorFromScaled(scaled, geometry, scaledTensor);
                var (max, mean) = Diff(exactTensor, scaledTensor);
                var demoChange = CompareDetections(demo, exactTensor, scaledTensor, geometry);
                var standInChange = standIn is null ? "stand-in detector not built" : "stand-in: " + CompareDetections(standIn, exactTensor, scaledTensor, geometry);
                yield return Harness.Measure(Section, $"{name}: scaled decode ({scaled.Width}x{scaled.Height}, <= {eighths}/8) + letterbox", () =>
                {
                    using var image = decoder.TryDecodeScaled(jpeg, Need, out _, out _, eighths)!;
                    var tensor = ArrayPool<float>.Shared.Rent(geometry.TensorLength);
                    Letterbox.ToTensorFromScaled(image, geometry, tensor);
                    ArrayPool<float>.Shared.Return(tensor);
                }, 2, 20, budget,
                $"tensor |diff| max {max:F4}, mean {mean:F5} (0-1 scale); demo: {demoChange}; {standInChange}");
            }

            var crop = ClassifierPreprocessor.CropForDetection(exact.Width, exact.Height, Box);
            var cropTensor = new float[ClassifierPreprocessor.TensorLength];
            yield return Harness.Measure(Section, $"{name}: crop {crop.Width}x{crop.Height} via region decode + resize", () =>
            {
                using var part = decoder.TryDecodeRegion(jpeg, crop.Left, crop.Top, crop.Width, crop.Height, out var ox, out var oy)!;
                ClassifierPreprocessor.ToTensor(part, crop with { Left = crop.Left - ox, Top = crop.Top - oy }, cropTensor);
            }, 2, 20, budget, "the extra cost of scaled mode for the classifier; a lazy full decode instead costs the exact decode row");
        }
    }

    private static byte[]? PhotoUpscaled(byte[] photo)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(photo);
        if (bitmap is null) return null;
        using var big = bitmap.Resize(new SkiaSharp.SKImageInfo(4096, 3072), new SkiaSharp.SKSamplingOptions(SkiaSharp.SKCubicResampler.Mitchell));
        using var data = big.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 92);
        return data.ToArray();
    }

    private static (double Max, double Mean) Diff(float[] a, float[] b)
    {
        double max = 0, sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs(a[i] - b[i]);
            sum += d;
            if (d > max) max = d;
        }
        return (max, sum / a.Length);
    }

    private static string CompareDetections(DetectorRunner detector, float[] exact, float[] scaled, LetterboxGeometry geometry)
    {
        List<DetectionBox> Detect(float[] input)
        {
            using var output = detector.Run(input, geometry.PaddedHeight, geometry.PaddedWidth);
            return [.. YoloPostProcessor.Process(output.Span, geometry).Where(d => d.Conf >= 0.1)];
        }
        var a = Detect(exact);
        var b = Detect(scaled);
        // Random-weight stand-ins rarely score 0.1; the raw objectness column shows the tensor change instead.
        float[] Raw(float[] input)
        {
            using var output = detector.Run(input, geometry.PaddedHeight, geometry.PaddedWidth);
            return output.Span.ToArray();
        }
        var ra = Raw(exact);
        var rb = Raw(scaled);
        var rows = ra.Length / 8;
        double maxObj = 0, maxObjDiff = 0, sumObjDiff = 0;
        for (var i = 0; i < rows; i++)
        {
            var o = ra[(i * 8) + 4];
            var d = Math.Abs(o - rb[(i * 8) + 4]);
            maxObj = Math.Max(maxObj, o);
            maxObjDiff = Math.Max(maxObjDiff, d);
            sumObjDiff += d;
        }
        var raw = $"raw objectness: max {maxObj:F4}, |diff| max {maxObjDiff:F4}, mean {sumObjDiff / Math.Max(rows, 1):F6} over {rows:N0} rows";
        var matched = 0;
        double maxConf = 0;
        foreach (var d in a)
        {
            var best = b.Where(e => e.Category == d.Category).Select(e => (Iou: Iou(d.Bbox, e.Bbox), e.Conf)).OrderByDescending(t => t.Iou).FirstOrDefault();
            if (best.Iou >= 0.9)
            {
                matched++;
                maxConf = Math.Max(maxConf, Math.Abs(best.Conf - d.Conf));
            }
        }
        return $"{a.Count} detections >= 0.1 exact, {b.Count} scaled, {matched} matched at IoU >= 0.9 (max conf change {maxConf:F3}); {raw}";
    }

    private static double Iou(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var x0 = Math.Max(a[0], b[0]);
        var y0 = Math.Max(a[1], b[1]);
        var x1 = Math.Min(a[0] + a[2], b[0] + b[2]);
        var y1 = Math.Min(a[1] + a[3], b[1] + b[3]);
        var inter = Math.Max(0, x1 - x0) * Math.Max(0, y1 - y0);
        var union = (a[2] * a[3]) + (b[2] * b[3]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
