using System.Buffers;
using System.Diagnostics;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Ensemble;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;
using DetectionBox = Atlas.Domain.SpeciesNet.Detection;
using Atlas.Infrastructure.Classification;
using Atlas.Infrastructure.Detection;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.SpeciesNet;

/// <summary>
/// One loaded SpeciesNet bundle: both ONNX sessions (created once, shared by all requests; <c>Run</c> is
/// thread-safe so there is no lock), the pre/post-processing of spec sections 2-3 and the domain ensemble of
/// section 4. Per image: decode + EXIF -> letterbox -> MegaDetector -> NMS/boxes -> crop of the top detection ->
/// classifier -> softmax top 5 -> ensemble. A failing detector or classifier becomes a <c>failures</c> entry, as in
/// SpeciesNet; an image that cannot be decoded is the client's problem and throws.
/// <para>
/// With <see cref="MicroBatching"/> on, concurrent requests share detector runs (images whose letterbox tensors
/// have the same shape; needs a dynamic batch dimension) and classifier runs (crops; needs a dynamic batch) through
/// <see cref="MicroBatcher{TInput,TOutput}"/>. A model with a fixed batch runs one image per call, as without batching.
/// </para>
/// </summary>
public sealed class SpeciesNetEngine : IDisposable
{
    /// <summary>SpeciesNet reports the classifier's top 5.</summary>
    public const int TopK = 5;

    /// <summary>Most box crops sent to a dynamic-batch classifier in one run (SpeciesNet's classifier batch is 8).</summary>
    public const int MaxBoxBatch = 8;

    private readonly ModelBundle _bundle;
    private readonly OnnxModelSession _detectorSession;
    private readonly OnnxModelSession _classifierSession;
    private readonly DetectorRunner _detector;
    private readonly ClassifierRunner _classifier;
    private readonly SpeciesNetEnsemble _ensemble;
    private readonly ImageDecoder _decoder;
    private readonly IInferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string[] _labels;
    // The same labels as parsed from the bundle: what the ensemble gets, so it never parses a label string again.
    private readonly SpeciesLabel[] _classLabels;
    private readonly SessionUsage _usage = new();
    private readonly MicroBatcher<DetectorItem, IReadOnlyList<DetectionBox>>? _detectBatcher;
    private readonly MicroBatcher<float[], TopK>? _classifyBatcher;

    // Batch input buffers (up to 8 letterbox tensors, ≈118 MB) come from a private pool that keeps at most one
    // array per size: ArrayPool<float>.Shared would also cache one in every thread that returned one, so the
    // retained memory would grow with the number of request threads.
    private readonly ArrayPool<float> _batchBuffers = ArrayPool<float>.Create(1 << 30, 1);
    private bool _disposed;

    /// <summary>Creates both sessions and checks the models against the tensor contracts.</summary>
    /// <exception cref="ModelBundleException">A model does not honour its contract (the message names the file).</exception>
    public SpeciesNetEngine(ModelBundle bundle, OnnxSessionFactory sessions, ImageDecoder decoder, bool geofence, IInferenceMetrics metrics, ILogger logger)
        : this(bundle, sessions, decoder, geofence, metrics, logger, MicroBatching.Off)
    {
    }

    /// <summary>Creates both sessions, checks the models against the tensor contracts, and batches as <paramref name="batching"/> says.</summary>
    /// <exception cref="ModelBundleException">A model does not honour its contract (the message names the file).</exception>
    public SpeciesNetEngine(ModelBundle bundle, OnnxSessionFactory sessions, ImageDecoder decoder, bool geofence, IInferenceMetrics metrics, ILogger logger, MicroBatching batching)
    {
        ArgumentNullException.ThrowIfNull(batching);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(sessions);
        _bundle = bundle;
        _decoder = decoder;
        _metrics = metrics;
        _logger = logger;
        _labels = bundle.Labels.Select(l => l.Raw).ToArray();
        _classLabels = [.. bundle.Labels];
        try
        {
            _detectorSession = bundle.DetectorPath is { } detectorPath ? sessions.Create(detectorPath) : sessions.Create(bundle.Detector, bundle.DetectorName);
            _classifierSession = bundle.ClassifierPath is { } classifierPath ? sessions.Create(classifierPath) : sessions.Create(bundle.Classifier, bundle.ClassifierName);
            _detector = new DetectorRunner(_detectorSession);
            _classifier = new ClassifierRunner(_classifierSession, _labels.Length);
            if (_classifier.Contract.OutputWidthDynamic)
            {
                // The width is only known from a run: check it now, so a bundle whose classifier disagrees
                // with its labels file is refused at start like every other bundle error.
                _classifier.WarmUp();
            }
        }
        catch (ModelContractException ex)
        {
            Dispose();
            throw new ModelBundleException($"Model bundle '{bundle.Source}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException)
        {
            Dispose();
            throw new ModelBundleException($"Model bundle '{bundle.Source}': a model could not be loaded by ONNX Runtime ({ex.Message}).", ex);
        }
        // The sessions hold their own copy of the weights: keeping the ONNX bytes would pin the size of both models
        // (≈0.8 GB for MegaDetector + EfficientNetV2-M) in the managed heap for the life of the process.
        _bundle = bundle with { Detector = [], Classifier = [] };
        _ensemble = new SpeciesNetEnsemble(bundle.Taxonomy, bundle.Geofence, geofence);
        var requested = batching;
        batching = batching.For(ExecutionProvider);
        if (requested.Enabled && !batching.Enabled)
        {
            _logger.LogInformation(
                "Micro-batching off on {Provider} (it pays on a GPU; set INFERENCE_BATCH_WINDOW_MS to turn it on here)", ExecutionProvider);
        }
        if (batching.Enabled)
        {
            if (_detector.Contract.BatchDynamic)
                _detectBatcher = new MicroBatcher<DetectorItem, IReadOnlyList<DetectionBox>>(batching.Window, batching.MaxBatchSize, DetectBatch);
            if (_classifier.Contract.FixedBatchSize is null)
                _classifyBatcher = new MicroBatcher<float[], TopK>(batching.Window, batching.MaxBatchSize, ClassifyBatch);
            _logger.LogInformation(
                "Micro-batching: window {WindowMs} ms, up to {MaxBatch} images per run; detector {Detector}, classifier {Classifier}",
                batching.Window.TotalMilliseconds, batching.MaxBatchSize,
                _detectBatcher is null ? "unbatched (fixed batch dimension)" : "batched",
                _classifyBatcher is null ? "unbatched (fixed batch dimension)" : "batched");
        }
        if (_detector.FixedInputSize is { } fixedSize)
        {
            _logger.LogWarning(
                "Detector {Detector} was exported for a fixed input of {Size}: images are letterboxed onto that whole canvas, not to SpeciesNet's next multiple of 64, so detections can differ from the reference. Export it with dynamic height and width (tools/convert does).",
                bundle.DetectorName, fixedSize);
        }
    }

    /// <summary>The bundle's metadata, labels, taxonomy and geofence; its model bytes are dropped once the sessions exist.</summary>
    public ModelBundle Bundle => _bundle;

    /// <summary>Execution provider of the sessions (both use the same factory decision).</summary>
    public string ExecutionProvider => _detectorSession.ExecutionProvider;

    /// <summary>Why CUDA is not in use, when it is not.</summary>
    public string? FallbackReason => _detectorSession.FallbackReason;

    /// <summary>Whether detector runs are shared between concurrent requests (batching on and a dynamic batch dimension).</summary>
    public bool DetectorBatched => _detectBatcher is not null;

    /// <summary>Whether classifier runs are shared between concurrent requests (batching on and a dynamic batch dimension).</summary>
    public bool ClassifierBatched => _classifyBatcher is not null;

    /// <summary>Detector runs and images through the batcher so far (both 0 without batching).</summary>
    public (long Runs, long Images) DetectorBatchStats => _detectBatcher is { } b ? (b.BatchesRun, b.ItemsRun) : (0, 0);

    /// <summary>Classifier runs and crops through the batcher so far (both 0 without batching).</summary>
    public (long Runs, long Images) ClassifierBatchStats => _classifyBatcher is { } b ? (b.BatchesRun, b.ItemsRun) : (0, 0);

    /// <summary>Test seam: the detector batcher (null without batching).</summary>
    internal MicroBatcher<DetectorItem, IReadOnlyList<DetectionBox>>? DetectorBatcher => _detectBatcher;

    /// <summary>Test seam: the classifier batcher (null without batching).</summary>
    internal MicroBatcher<float[], TopK>? ClassifierBatcher => _classifyBatcher;

    /// <summary>Runs each model once on zeros; checks the classifier's output width against the labels.</summary>
    public void WarmUp()
    {
        using var lease = _usage.Enter();
        try
        {
            _detector.WarmUp();
            _classifier.WarmUp();
        }
        catch (ModelContractException ex)
        {
            throw new ModelBundleException($"Model bundle '{_bundle.Source}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Scaled JPEG decode (<c>SpeciesNet:ScaledDecode</c>, <see cref="ImageDecoder.TryDecodeScaled"/>): when on, a JPEG
    /// larger than the letterbox needs is decoded at a DCT scale n/8 for the detector and the classifier crop reads a
    /// full-resolution decode of just its region; when off (exact), every stage reads one full-resolution decode.
    /// </summary>
    public bool ScaledDecode { get; init; }

    /// <summary>Runs SpeciesNet on one encoded image.</summary>
    public SpeciesNetPrediction Predict(ReadOnlySpan<byte> encoded, GeoLocation location, CancellationToken cancellationToken) =>
        Analyze(encoded, location, AnalysisOptions.Default, cancellationToken).Prediction;

    /// <summary>
    /// Runs the components <paramref name="options"/> choose on one encoded image (SpeciesNet's run_model modes:
    /// detector only, classifier only on the whole image, or the full ensemble) and, with
    /// <see cref="AnalysisOptions.ClassifyAllBoxes"/>, classifies every animal box as well.
    /// </summary>
    public ImageAnalysis Analyze(ReadOnlySpan<byte> encoded, GeoLocation location, AnalysisOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var lease = _usage.Enter();
        // Announced before decoding, so a batch leader waits (up to the window) for this request too.
        using var detectTurn = options.Mode != ComponentMode.ClassifierOnly ? _detectBatcher?.Expect() : null;
        using var classifyTurn = options.Mode != ComponentMode.DetectorOnly ? _classifyBatcher?.Expect() : null;
        var started = Stopwatch.GetTimestamp();
        // Scaled decode: the detector reads a DCT-scaled JPEG; the classifier crop is decoded at full resolution below.
        RgbImage? scaled = null;
        int fullWidth = 0, fullHeight = 0;
        if (ScaledDecode && options.Mode != ComponentMode.ClassifierOnly
            && (options.Mode == ComponentMode.DetectorOnly || (_bundle.Type == BundleType.AlwaysCrop && options.ClassifyAllBoxes is null)))
        {
            scaled = _decoder.TryDecodeScaled(encoded, DetectorInputSize, out fullWidth, out fullHeight);
        }
        using var image = scaled ?? _decoder.Decode(encoded);
        if (scaled is null)
        {
            fullWidth = image.Width;
            fullHeight = image.Height;
        }
        _metrics.RecordStage(InferenceStage.Decode, Stopwatch.GetElapsedTime(started));
        cancellationToken.ThrowIfCancellationRequested();

        var failures = new List<string>(2);
        IReadOnlyList<DetectionBox>? detections = null;
        var detectorFailed = false;
        if (options.Mode != ComponentMode.ClassifierOnly)
        {
            started = Stopwatch.GetTimestamp();
            try
            {
                detections = Detect(image, fullWidth, fullHeight, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                detectorFailed = true;
                _logger.LogWarning(ex, "Detector failed on a {Width}x{Height} image", fullWidth, fullHeight);
            }
            finally
            {
                detectTurn?.Dispose();
            }
            _metrics.RecordStage(InferenceStage.Detect, Stopwatch.GetElapsedTime(started));
            cancellationToken.ThrowIfCancellationRequested();
        }

        Classifications? classifications = null;
        SpeciesLabel[]? classLabels = null;
        var classifierFailed = false;
        if (options.Mode != ComponentMode.DetectorOnly)
        {
            started = Stopwatch.GetTimestamp();
            try
            {
                // Classifier-only runs without boxes, so an always_crop model sees the whole image (as SpeciesNet does).
                (classifications, classLabels) = scaled is null
                    ? Classify(image, detections, cancellationToken)
                    : ClassifyFromRegion(encoded, fullWidth, fullHeight, detections, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                classifierFailed = true;
                if (ex is EmptyCropException)
                    _logger.LogInformation("Classifier skipped: {Reason}", ex.Message);
                else
                    _logger.LogWarning(ex, "Classifier failed on a {Width}x{Height} image", fullWidth, fullHeight);
            }
            finally
            {
                classifyTurn?.Dispose();
            }
            _metrics.RecordStage(InferenceStage.Classify, Stopwatch.GetElapsedTime(started));
        }

        if (classifierFailed) failures.Add(PredictionFailures.Classifier);
        if (detectorFailed) failures.Add(PredictionFailures.Detector);

        if (options.Mode != ComponentMode.Full || classifications is null || classLabels is null || detections is null)
        {
            return new ImageAnalysis(
                new SpeciesNetPrediction(failures, location, classifications, detections, null, null, null, _bundle.Version),
                fullWidth, fullHeight, null);
        }

        started = Stopwatch.GetTimestamp();
        var result = _ensemble.Combine(classLabels, classifications.Scores, detections, location.Country, location.Admin1Region);
        _metrics.RecordStage(InferenceStage.Ensemble, Stopwatch.GetElapsedTime(started));
        var prediction = new SpeciesNetPrediction(failures, location, classifications, detections, result.Prediction, result.Score, result.Source, _bundle.Version);

        IReadOnlyList<BoxPrediction>? boxes = null;
        if (options.ClassifyAllBoxes is { } boxOptions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            boxes = ClassifyBoxes(image, detections, location, boxOptions, cancellationToken);
        }
        return new ImageAnalysis(prediction, fullWidth, fullHeight, boxes);
    }

    /// <summary>Ensemble-only mode: the rules of spec 4 on precomputed outputs; a missing output is a failure.</summary>
    public SpeciesNetPrediction Combine(Classifications? classifications, IReadOnlyList<DetectionBox>? detections, GeoLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var failures = new List<string>(2);
        if (classifications is null) failures.Add(PredictionFailures.Classifier);
        if (detections is null) failures.Add(PredictionFailures.Detector);
        if (classifications is null || detections is null)
        {
            return new SpeciesNetPrediction(failures, location, classifications, detections, null, null, null, _bundle.Version);
        }
        var started = Stopwatch.GetTimestamp();
        var result = _ensemble.Combine(classifications, detections, location.Country, location.Admin1Region);
        _metrics.RecordStage(InferenceStage.Ensemble, Stopwatch.GetElapsedTime(started));
        return new SpeciesNetPrediction(failures, location, classifications, detections, result.Prediction, result.Score, result.Source, _bundle.Version);
    }

    /// <summary>
    /// classify_all_boxes (cameratrapai PR #73): crops every animal box at or above the minimum confidence, runs the
    /// classifier on the crops in batches, runs the rule chain once per box (with that box as the only detection),
    /// and returns the best <see cref="BoxClassificationOptions.MaxClassifications"/> by score (ties keep box order).
    /// A box whose crop is empty is skipped.
    /// </summary>
    private List<BoxPrediction> ClassifyBoxes(RgbImage image, IReadOnlyList<DetectionBox> detections, GeoLocation location, BoxClassificationOptions options, CancellationToken cancellationToken)
    {
        var boxes = new List<(DetectionBox Box, CropRegion Region)>();
        foreach (var detection in detections)
        {
            if (detection.Label != "animal" || detection.Conf < options.MinConfidence) continue;
            var region = ClassifierPreprocessor.CropForDetection(image.Width, image.Height, detection.Bbox);
            if (region.Width <= 0 || region.Height <= 0) continue;
            boxes.Add((detection, region));
        }
        var answers = new List<BoxPrediction>(boxes.Count);
        if (boxes.Count == 0) return answers;

        var started = Stopwatch.GetTimestamp();
        var batch = _classifier.Contract.FixedBatchSize ?? Math.Min(MaxBoxBatch, boxes.Count);
        var buffer = ArrayPool<float>.Shared.Rent(batch * ClassifierPreprocessor.TensorLength);
        try
        {
            for (var first = 0; first < boxes.Count; first += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(batch, boxes.Count - first);
                var runBatch = _classifier.Contract.FixedBatchSize ?? count;
                var length = runBatch * ClassifierPreprocessor.TensorLength;
                Array.Clear(buffer, 0, length);
                for (var i = 0; i < count; i++)
                {
                    try
                    {
                        ClassifierPreprocessor.ToTensor(image, boxes[first + i].Region, buffer.AsSpan(i * ClassifierPreprocessor.TensorLength, ClassifierPreprocessor.TensorLength));
                    }
                    catch (EmptyCropException)
                    {
                        // Stays zeros; its answer is dropped below.
                        boxes[first + i] = (boxes[first + i].Box, default);
                    }
                }
                var tops = _classifier.RunTopK(buffer.AsMemory(0, length), runBatch, Math.Min(TopK, _labels.Length));
                for (var i = 0; i < count; i++)
                {
                    var (box, region) = boxes[first + i];
                    if (region.Width <= 0) continue;
                    var top = tops[i];
                    var labels = new SpeciesLabel[top.Indices.Length];
                    var scores = new double[top.Indices.Length];
                    for (var j = 0; j < labels.Length; j++)
                    {
                        labels[j] = _classLabels[top.Indices[j]];
                        scores[j] = top.Scores[j];
                    }
                    var result = _ensemble.Combine(labels, scores, [box], location.Country, location.Admin1Region);
                    answers.Add(new BoxPrediction(result.Prediction, result.Score, result.Source, box.Bbox));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
        _metrics.RecordStage(InferenceStage.Classify, Stopwatch.GetElapsedTime(started));
        // A stable sort: equal scores keep the detector's order.
        return [.. answers.OrderByDescending(a => a.PredictionScore).Take(options.MaxClassifications)];
    }

    /// <summary>The letterbox of a <paramref name="width"/> x <paramref name="height"/> upright image for this detector.</summary>
    private LetterboxGeometry DetectorGeometry(int width, int height) => _detector.FixedInputSize is { } fixedSize
        ? LetterboxGeometry.ComputeFixed(width, height, fixedSize.Width, fixedSize.Height)
        : LetterboxGeometry.Compute(width, height);

    /// <summary>The size the letterbox resizes a full upright image to: what a scaled decode must at least give.</summary>
    private (int Width, int Height) DetectorInputSize(int width, int height)
    {
        var geometry = DetectorGeometry(width, height);
        return (geometry.ResizedWidth, geometry.ResizedHeight);
    }

    private IReadOnlyList<DetectionBox> Detect(RgbImage image, int fullWidth, int fullHeight, CancellationToken cancellationToken)
    {
        var geometry = DetectorGeometry(fullWidth, fullHeight);
        var buffer = ArrayPool<float>.Shared.Rent(geometry.TensorLength);
        try
        {
            if (image.Width == fullWidth && image.Height == fullHeight) Letterbox.ToTensor(image, geometry, buffer);
            else Letterbox.ToTensorFromScaled(image, geometry, buffer);
            var item = new DetectorItem(buffer, geometry);
            if (_detectBatcher is null) return DetectBatch(ShapeKey(geometry), [item])[0];
            // Only tensors of the same shape can share a run: the shape is the batch group.
            return _detectBatcher.Run(ShapeKey(geometry), item, cancellationToken);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static long ShapeKey(in LetterboxGeometry geometry) => ((long)geometry.PaddedHeight << 32) | (uint)geometry.PaddedWidth;

    /// <summary>One detector run for letterbox tensors of one shape; each image is post-processed with its own geometry.</summary>
    private IReadOnlyList<DetectionBox>[] DetectBatch(long key, IReadOnlyList<DetectorItem> items)
    {
        var first = items[0].Geometry;
        var (height, width, length) = (first.PaddedHeight, first.PaddedWidth, first.TensorLength);
        var results = new IReadOnlyList<DetectionBox>[items.Count];
        if (items.Count == 1)
        {
            using var output = _detector.Run(items[0].Tensor.AsMemory(0, length), height, width);
            results[0] = YoloPostProcessor.Process(output.Span, first);
            return results;
        }

        var batch = _batchBuffers.Rent(items.Count * length);
        try
        {
            for (var i = 0; i < items.Count; i++)
                items[i].Tensor.AsSpan(0, length).CopyTo(batch.AsSpan(i * length, length));
            using var output = _detector.RunBatch(batch.AsMemory(0, items.Count * length), items.Count, height, width);
            var perImage = output.Rows / items.Count * output.Columns;
            for (var i = 0; i < items.Count; i++)
                results[i] = YoloPostProcessor.Process(output.Span.Slice(i * perImage, perImage), items[i].Geometry);
            return results;
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ModelContractException)
        {
            // An export that declares a dynamic batch but cannot run one (a reshape with the batch baked in): answer
            // each image on its own rather than failing all of them.
            _logger.LogWarning(ex, "Detector batch of {Count} failed; running the images one at a time", items.Count);
            for (var i = 0; i < items.Count; i++) results[i] = DetectBatch(key, [items[i]])[0];
            return results;
        }
        finally
        {
            _batchBuffers.Return(batch);
        }
    }

    /// <summary>One classifier run for crops of several requests (a dynamic-batch classifier only).</summary>
    private TopK[] ClassifyBatch(long key, IReadOnlyList<float[]> crops)
    {
        const int length = ClassifierPreprocessor.TensorLength;
        var k = Math.Min(TopK, _labels.Length);
        if (crops.Count == 1) return _classifier.RunTopK(crops[0].AsMemory(0, length), 1, k);
        var batch = _batchBuffers.Rent(crops.Count * length);
        try
        {
            for (var i = 0; i < crops.Count; i++)
                crops[i].AsSpan(0, length).CopyTo(batch.AsSpan(i * length, length));
            return _classifier.RunTopK(batch.AsMemory(0, crops.Count * length), crops.Count, k);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
        {
            _logger.LogWarning(ex, "Classifier batch of {Count} failed; running the crops one at a time", crops.Count);
            return [.. crops.Select(crop => _classifier.RunTopK(crop.AsMemory(0, length), 1, k)[0])];
        }
        finally
        {
            _batchBuffers.Return(batch);
        }
    }

    /// <summary>
    /// The classifier after a scaled decode: decodes only the crop (plus a margin) at full resolution and crops from
    /// it, which reads the same pixels as the crop of a full decode; anything the region decode cannot do (no box:
    /// the whole image) falls back to a full decode.
    /// </summary>
    private RankedClasses ClassifyFromRegion(ReadOnlySpan<byte> encoded, int fullWidth, int fullHeight, IReadOnlyList<DetectionBox>? detections, CancellationToken cancellationToken)
    {
        var region = ClassifierRegion(fullWidth, fullHeight, detections);
        int offsetX = 0, offsetY = 0;
        var part = detections is { Count: > 0 } && region.Width > 0 && region.Height > 0
            ? _decoder.TryDecodeRegion(encoded, region.Left, region.Top, region.Width, region.Height, out offsetX, out offsetY)
            : null;
        if (part is null)
        {
            using var full = _decoder.Decode(encoded);
            return Classify(full, region, cancellationToken);
        }
        using (part)
        {
            return Classify(part, region with { Left = region.Left - offsetX, Top = region.Top - offsetY }, cancellationToken);
        }
    }

    private CropRegion ClassifierRegion(int width, int height, IReadOnlyList<DetectionBox>? detections) => _bundle.Type == BundleType.AlwaysCrop
        ? ClassifierPreprocessor.CropForDetection(width, height, detections is { Count: > 0 } ? detections[0].Bbox : null)
        : ClassifierPreprocessor.CropForFullImage(width, height);

    private RankedClasses Classify(RgbImage image, IReadOnlyList<DetectionBox>? detections, CancellationToken cancellationToken) =>
        Classify(image, ClassifierRegion(image.Width, image.Height, detections), cancellationToken);

    private RankedClasses Classify(RgbImage image, CropRegion region, CancellationToken cancellationToken)
    {
        // A classifier exported with a fixed batch (e.g. 8, SpeciesNet's default) gets the crop in slot 0 and zeros.
        var batch = _classifier.Contract.FixedBatchSize ?? 1;
        var length = batch * ClassifierPreprocessor.TensorLength;
        var buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            if (batch > 1) Array.Clear(buffer, ClassifierPreprocessor.TensorLength, length - ClassifierPreprocessor.TensorLength);
            ClassifierPreprocessor.ToTensor(image, region, buffer);
            var top = _classifyBatcher is { } batcher
                ? batcher.Run(0, buffer, cancellationToken)
                : _classifier.RunTopK(buffer.AsMemory(0, length), batch, Math.Min(TopK, _labels.Length))[0];
            var classes = new string[top.Indices.Length];
            var labels = new SpeciesLabel[top.Indices.Length];
            var scores = new double[top.Indices.Length];
            for (var i = 0; i < classes.Length; i++)
            {
                classes[i] = _labels[top.Indices[i]];
                labels[i] = _classLabels[top.Indices[i]];
                scores[i] = top.Scores[i];
            }
            return new RankedClasses(new Classifications(classes, scores), labels);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Waits (up to a minute) for runs in progress before releasing the sessions: disposing an ONNX Runtime session
    /// while <c>Run</c> executes on it is a native use-after-free that takes the whole process down.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_usage.CloseAndWait(TimeSpan.FromMinutes(1)))
        {
            _logger.LogWarning("SpeciesNet runs still in progress after 1 minute; the ONNX sessions are left to the process exit");
            return;
        }
        _detector?.Dispose();
        _classifier?.Dispose();
        _detectorSession?.Dispose();
        _classifierSession?.Dispose();
        _usage.Dispose();
    }

    /// <summary>A letterboxed image waiting for the detector: its pooled tensor and the geometry to map boxes back.</summary>
    internal readonly record struct DetectorItem(float[] Tensor, LetterboxGeometry Geometry);

    /// <summary>Counts the runs using the sessions, refuses new ones once closed, and lets Dispose wait for the last.</summary>
    private sealed class SessionUsage : IDisposable
    {
        private readonly ManualResetEventSlim _idle = new(initialState: true);
        private readonly Lock _gate = new();
        private int _active;
        private bool _closed;

        public Lease Enter()
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closed, typeof(SpeciesNetEngine));
                if (_active++ == 0) _idle.Reset();
            }
            return new Lease(this);
        }

        public bool CloseAndWait(TimeSpan timeout)
        {
            lock (_gate) _closed = true;
            return _idle.Wait(timeout);
        }

        public void Dispose() => _idle.Dispose();

        private void Exit()
        {
            lock (_gate)
            {
                if (--_active == 0) _idle.Set();
            }
        }

        public readonly struct Lease(SessionUsage owner) : IDisposable
        {
            public void Dispose() => owner.Exit();
        }
    }

    /// <summary>The classifier's top-k twice: as the response reports it (label strings) and as the ensemble reads it.</summary>
    private readonly record struct RankedClasses(Classifications Classifications, SpeciesLabel[] Labels);
}
