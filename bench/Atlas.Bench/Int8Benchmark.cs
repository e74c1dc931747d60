using System.Globalization;
using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Atlas.Bench;

/// <summary>
/// Section 10: the optional int8 path (<c>tools/convert/quantize_int8.py</c>, dynamic ConvInteger quantization) against
/// the fp32 stand-ins, through the same ONNX Runtime session options Atlas uses: speed per image and how far the
/// outputs move on real camera-trap images pre-processed by Atlas (the whole image as the classifier crop; the
/// letterboxed frame for the detector). The weights are random, so agreement here measures the quantization error
/// of these architectures, not accuracy on animals; the same comparison on a converted real bundle is the check to
/// run before deploying int8.
/// </summary>
internal static class Int8Benchmark
{
    private const string Section = "10. int8 (dynamic ConvInteger) vs fp32 on the stand-ins";

    public static IEnumerable<Measurement> Run(string standInDir, IReadOnlyList<string> images, OnnxRuntimeOptions onnx, Report report)
    {
        var factory = new OnnxSessionFactory(onnx, NullLogger<OnnxSessionFactory>.Instance);
        var decoder = new ImageDecoder();
        var inv = CultureInfo.InvariantCulture;

        var classifierImages = images.Take(8).ToList();
        var crops = classifierImages.Select(path =>
        {
            using var image = decoder.Decode(File.ReadAllBytes(path));
            var tensor = new float[ClassifierPreprocessor.TensorLength];
            ClassifierPreprocessor.ToTensor(image, ClassifierPreprocessor.CropForFullImage(image.Width, image.Height), tensor);
            return tensor;
        }).ToList();

        using (var fp32 = factory.Create(Path.Combine(standInDir, "effnetv2m_2498.onnx")))
        using (var int8 = factory.Create(Path.Combine(standInDir, "effnetv2m_2498.int8.onnx")))
        {
            float[] Logits(OnnxModelSession model, float[] crop) => RunRaw(model, crop, [1, 480, 480, 3]);

            var pairs = crops.Select(c => (Fp32: Logits(fp32, c), Int8: Logits(int8, c))).ToList();
            var top1 = pairs.Count(p => ArgMax(p.Fp32) == ArgMax(p.Int8));
            var top5 = pairs.Sum(p => TopK(p.Fp32, 5).Intersect(TopK(p.Int8, 5)).Count());
            var probDiff = pairs.Max(p => Softmax(p.Fp32).Zip(Softmax(p.Int8)).Max(z => Math.Abs(z.First - z.Second)));
            var relative = pairs.Select(p => Rms(p.Fp32.Zip(p.Int8, (a, b) => a - b)) / Std(p.Fp32)).Max();
            // The scale to read the error against: how much the fp32 logits move from one image to the next.
            var between = pairs.Zip(pairs.Skip(1), (p, q) => Rms(p.Fp32.Zip(q.Fp32, (a, b) => a - b)) / Std(p.Fp32)).Min();
            report.Line(string.Create(inv, $"int8 classifier vs fp32 on {pairs.Count} images: logit RMS error up to {relative:P1} of the logits' spread "
                + $"(fp32 logits of one image vs the next differ by at least {between:P1}); top-1 agrees on {top1}/{pairs.Count}, top-5 overlap {top5}/{5 * pairs.Count}, "
                + $"largest softmax change {probDiff:0.000000} (random weights: near-uniform probabilities, so top-k agreement means little)."));

            var c0 = crops[0];
            yield return Harness.Measure(Section, "classifier EfficientNetV2-M fp32, raw InferenceSession.Run, batch 1", () => Logits(fp32, c0), 1, 8, TimeSpan.FromSeconds(40));
            yield return Harness.Measure(Section, "classifier EfficientNetV2-M int8, raw InferenceSession.Run, batch 1", () => Logits(int8, c0), 1, 8, TimeSpan.FromSeconds(40),
                string.Create(inv, $"top-1 {top1}/{pairs.Count} same as fp32; file {MiB(Path.Combine(standInDir, "effnetv2m_2498.int8.onnx"))} vs {MiB(Path.Combine(standInDir, "effnetv2m_2498.onnx"))}"));
        }

        var frames = images.Take(3).Select(path =>
        {
            using var image = decoder.Decode(File.ReadAllBytes(path));
            var geometry = LetterboxGeometry.Compute(image.Width, image.Height);
            var tensor = new float[geometry.TensorLength];
            Letterbox.ToTensor(image, geometry, tensor);
            return (Geometry: geometry, Tensor: tensor);
        }).ToList();

        using (var fp32 = factory.Create(Path.Combine(standInDir, "yolov5x6_standin.onnx")))
        using (var int8 = factory.Create(Path.Combine(standInDir, "yolov5x6_standin.int8.onnx")))
        {
            float[] Rows(OnnxModelSession model, (LetterboxGeometry Geometry, float[] Tensor) f) =>
                RunRaw(model, f.Tensor, [1, 3, f.Geometry.PaddedHeight, f.Geometry.PaddedWidth]);

            double boxDiff = 0, scoreDiff = 0, scoreMax = 0, inputEffect = 0;
            var detections = new List<string>();
            float[]? previous = null;
            foreach (var f in frames)
            {
                var a = Rows(fp32, f);
                var b = Rows(int8, f);
                if (previous is not null && previous.Length == a.Length)
                {
                    for (var i = 0; i < a.Length; i++) inputEffect = Math.Max(inputEffect, Math.Abs(a[i] - previous[i]));
                }
                previous = a;
                for (var i = 0; i < a.Length; i += 8)
                {
                    for (var k = 0; k < 4; k++) boxDiff = Math.Max(boxDiff, Math.Abs(a[i + k] - b[i + k]));
                    for (var k = 4; k < 8; k++)
                    {
                        scoreDiff = Math.Max(scoreDiff, Math.Abs(a[i + k] - b[i + k]));
                        scoreMax = Math.Max(scoreMax, a[i + k]);
                    }
                }
                detections.Add($"{YoloPostProcessor.Process(a, f.Geometry).Count}/{YoloPostProcessor.Process(b, f.Geometry).Count}");
            }

            report.Line(string.Create(inv, $"int8 detector vs fp32 on {frames.Count} letterboxed images: largest box-coordinate change {boxDiff:0.00} px, "
                + $"largest score change {scoreDiff:0.000000} (largest fp32 score {scoreMax:0.0000}); detections above 0.01 after NMS fp32/int8: {string.Join(", ", detections)}. "
                + $"Largest change of any fp32 output between two different images of the same size: {inputEffect:0.000000} "
                + $"(the random-weight detector's outputs barely depend on the input, so this agreement says little; the classifier's logits are the real test)."));
            var f0 = frames[0];
            var note = $"{f0.Geometry.PaddedWidth}x{f0.Geometry.PaddedHeight}";
            yield return Harness.Measure(Section, "detector YOLOv5x6-shaped fp32, raw InferenceSession.Run, batch 1", () => Rows(fp32, f0), 1, 3, TimeSpan.FromSeconds(60), note);
            yield return Harness.Measure(Section, "detector YOLOv5x6-shaped int8, raw InferenceSession.Run, batch 1", () => Rows(int8, f0), 1, 3, TimeSpan.FromSeconds(60),
                $"{note}; file {MiB(Path.Combine(standInDir, "yolov5x6_standin.int8.onnx"))} vs {MiB(Path.Combine(standInDir, "yolov5x6_standin.onnx"))}");
        }
    }

    /// <summary>One plain <c>InferenceSession.Run</c> on the model's first input; the first output, copied.</summary>
    private static float[] RunRaw(OnnxModelSession model, float[] input, int[] shape)
    {
        using var result = model.Session.Run([NamedOnnxValue.CreateFromTensor(model.Session.InputNames[0], new DenseTensor<float>(input, shape))]);
        return [.. result[0].AsEnumerable<float>()];
    }

    private static string MiB(string path) => string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length / 1048576.0:0} MiB");

    private static int ArgMax(float[] x) => Array.IndexOf(x, x.Max());

    private static IEnumerable<int> TopK(float[] x, int k) => x.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(k).Select(p => p.i);

    private static double[] Softmax(float[] x)
    {
        var max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return [.. e.Select(v => v / sum)];
    }

    private static double Rms(IEnumerable<float> x)
    {
        var list = x.ToList();
        return Math.Sqrt(list.Sum(v => (double)v * v) / list.Count);
    }

    private static double Std(float[] x)
    {
        var mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / x.Length);
    }
}
