using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Bench;

/// <summary>
/// Section 8: model inference on the stand-ins, Atlas's runners (pooled input/output buffers, contract checks,
/// top-5 softmax, YOLO decode + NMS) vs plain <see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue})"/>
/// with the same session options (the floor for Atlas's own overhead). The detector takes seconds per image on
/// 2 cores, so it gets 3 timed runs.
/// </summary>
internal static class StandInInferenceBenchmark
{
    private const string Section = "8. inference on the stand-ins: Atlas vs raw ONNX Runtime";

    public static IEnumerable<Measurement> Run(string standInDir, OnnxRuntimeOptions onnx)
    {
        var classifierPath = Path.Combine(standInDir, "effnetv2m_2498.onnx");
        var detectorPath = Path.Combine(standInDir, "yolov5x6_standin.onnx");
        var factory = new OnnxSessionFactory(onnx, NullLogger<OnnxSessionFactory>.Instance);
        var crop = new float[480 * 480 * 3];
        for (var i = 0; i < crop.Length; i++) crop[i] = (i % 251) / 251f;

        using (var classifier = new ClassifierRunner(factory.Create(classifierPath), 2498))
        {
            yield return Harness.Measure(Section, "classifier EfficientNetV2-M, Atlas ClassifierRunner.RunTopK, batch 1",
                () => classifier.RunTopK(crop, 1), 2, 10, TimeSpan.FromSeconds(60));
            var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(crop, [1, 480, 480, 3]);
            var name = classifier.Contract.InputName;
            yield return Harness.Measure(Section, "classifier EfficientNetV2-M, raw InferenceSession.Run, batch 1",
                () => { using var r = classifier.Model.Session.Run([NamedOnnxValue.CreateFromTensor(name, input)]); }, 2, 10, TimeSpan.FromSeconds(60));
        }

        var geometry = LetterboxGeometry.Compute(2048, 1536);
        var frame = new float[geometry.TensorLength];
        for (var i = 0; i < frame.Length; i++) frame[i] = (i % 253) / 253f;
        using (var detector = new DetectorRunner(factory.Create(detectorPath)))
        {
            var note = $"{geometry.PaddedWidth}x{geometry.PaddedHeight}; batch dynamic: {detector.Contract.BatchDynamic}";
            yield return Harness.Measure(Section, "detector YOLOv5x6-shaped, Atlas DetectorRunner.Run + YOLO decode/NMS, batch 1",
                () => { using var o = detector.Run(frame, geometry.PaddedHeight, geometry.PaddedWidth); YoloPostProcessor.Process(o.Span, geometry); }, 1, 3, TimeSpan.FromSeconds(120), note);
            var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(frame, [1, 3, geometry.PaddedHeight, geometry.PaddedWidth]);
            var name = detector.Contract.InputName;
            yield return Harness.Measure(Section, "detector YOLOv5x6-shaped, raw InferenceSession.Run, batch 1",
                () => { using var r = detector.Model.Session.Run([NamedOnnxValue.CreateFromTensor(name, input)]); }, 1, 3, TimeSpan.FromSeconds(120), note);
        }
    }
}
