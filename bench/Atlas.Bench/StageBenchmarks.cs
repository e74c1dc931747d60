using System.Buffers;
using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Bench;

/// <summary>Section 1: the pre/post-processing stages around the two models, each timed on its own.</summary>
internal static class StageBenchmarks
{
    private const string Section = "1. stages";

    /// <summary>The top detection SpeciesNet v4.0.0a reports for african_elephants.jpg (golden output): a 227x192 px crop.</summary>
    private static readonly double[] ElephantBox = [0.7041015625, 0.4765625, 0.11083984375, 0.125];

    public static IEnumerable<Measurement> Run(byte[] jpeg, OnnxRuntimeOptions onnx)
    {
        var decoder = new ImageDecoder();
        var budget = TimeSpan.FromSeconds(8);

        yield return Harness.Measure(Section, "decode JPEG + EXIF -> RGB", () => decoder.Decode(jpeg).Dispose(), 5, 40, budget);
        // Where the decode's time goes: Skia's libjpeg-turbo decode alone (into RGBA, as the decoder asks for it).
        var rgba = new byte[4 * 2048 * 2048];
        yield return Harness.Measure(Section, "Skia JPEG decode only -> RGBA (no EXIF, no RGB repack)", () => SkiaDecodeOnly(jpeg, rgba), 5, 40, budget);

        using var image = decoder.Decode(jpeg);
        var geometry = LetterboxGeometry.Compute(image.Width, image.Height);
        var detectorInput = new float[geometry.TensorLength];
        yield return Harness.Measure(Section, $"letterbox {image.Width}x{image.Height} -> {geometry.PaddedWidth}x{geometry.PaddedHeight} NCHW float",
            () => Letterbox.ToTensor(image, geometry, detectorInput), 5, 40, budget);

        var synthetic = SyntheticInputs.YoloOutput(candidates: 2000, geometry.PaddedWidth, geometry.PaddedHeight);
        var candidates = CountCandidates(synthetic);
        var kept = YoloPostProcessor.Process(synthetic, geometry).Count;
        yield return Harness.Measure(Section, $"YOLO post-processing, synthetic {SyntheticInputs.YoloRows:N0} rows",
            () => YoloPostProcessor.Process(synthetic, geometry), 5, 60, budget,
            $"{candidates:N0} rows above 0.01 objectness -> {kept} detections after NMS");

        var demoRows = DemoDetectorOutput(detectorInput, geometry, onnx);
        var demoKept = YoloPostProcessor.Process(demoRows, geometry).Count;
        yield return Harness.Measure(Section, $"YOLO post-processing, demo detector output ({demoRows.Length / 8} rows)",
            () => YoloPostProcessor.Process(demoRows, geometry), 20, 200, budget, $"{demoKept} detections");

        var classifierInput = new float[ClassifierPreprocessor.TensorLength];
        var crop = ClassifierPreprocessor.CropForDetection(image.Width, image.Height, ElephantBox);
        yield return Harness.Measure(Section, $"classifier crop {crop.Width}x{crop.Height} -> 480x480 NHWC float",
            () => ClassifierPreprocessor.ToTensor(image, crop, classifierInput), 5, 60, budget);

        var full = ClassifierPreprocessor.CropForFullImage(image.Width, image.Height);
        yield return Harness.Measure(Section, $"classifier whole image {full.Width}x{full.Height} -> 480x480 NHWC float",
            () => ClassifierPreprocessor.ToTensor(image, full, classifierInput), 5, 60, budget);

        yield return Harness.Measure(Section, "all pre-processing: decode + letterbox + crop (one call)", () =>
        {
            using var decoded = decoder.Decode(jpeg);
            var g = LetterboxGeometry.Compute(decoded.Width, decoded.Height);
            var tensor = ArrayPool<float>.Shared.Rent(g.TensorLength);
            Letterbox.ToTensor(decoded, g, tensor);
            ArrayPool<float>.Shared.Return(tensor);
            ClassifierPreprocessor.ToTensor(decoded, ClassifierPreprocessor.CropForDetection(decoded.Width, decoded.Height, ElephantBox), classifierInput);
        }, 3, 30, budget, "the work PIL + OpenCV do in ≈125 ms in the reference (architecture.md)");
    }

    private static void SkiaDecodeOnly(byte[] jpeg, byte[] rgba)
    {
        using var data = SkiaSharp.SKData.CreateCopy(jpeg);
        using var codec = SkiaSharp.SKCodec.Create(data);
        var info = new SkiaSharp.SKImageInfo(codec.Info.Width, codec.Info.Height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        if ((long)info.BytesSize > rgba.Length) throw new InvalidOperationException("image larger than the benchmark buffer");
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(rgba, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
    }

    private static int CountCandidates(ReadOnlySpan<float> rows)
    {
        var count = 0;
        for (var i = 4; i < rows.Length; i += 8) if (rows[i] > YoloPostProcessor.ConfidenceThreshold) count++;
        return count;
    }

    private static float[] DemoDetectorOutput(float[] input, LetterboxGeometry geometry, OnnxRuntimeOptions onnx)
    {
        var factory = new OnnxSessionFactory(onnx, NullLogger<OnnxSessionFactory>.Instance);
        using var detector = new DetectorRunner(factory.Create(DemoDetectorModel.Build(), "demo detector"));
        using var output = detector.Run(input, geometry.PaddedHeight, geometry.PaddedWidth);
        return output.Span.ToArray();
    }
}
