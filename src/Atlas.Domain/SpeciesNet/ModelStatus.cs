namespace Atlas.Domain.SpeciesNet;

/// <summary>What the loaded SpeciesNet model bundle is and how it runs; reported by <c>/</c> and <c>/healthz</c>.</summary>
/// <param name="Version">info.json <c>version</c>; copied into every prediction's <c>model_version</c>.</param>
/// <param name="Type"><c>always_crop</c> or <c>full_image</c>.</param>
/// <param name="IsDemo">True for the embedded demo bundle, whose predictions mean nothing.</param>
/// <param name="ExecutionProvider">ONNX Runtime execution provider actually in use (e.g. <c>CUDAExecutionProvider</c>, <c>CPUExecutionProvider</c>).</param>
/// <param name="Ready">True once both models are loaded and warmed up.</param>
/// <param name="Detail">Why the model is not ready, or why the provider fell back; null when there is nothing to say.</param>
/// <param name="Source">Where the bundle came from (folder path, or "embedded demo bundle").</param>
public sealed record ModelStatus(
    string Version,
    string Type,
    bool IsDemo,
    string ExecutionProvider,
    bool Ready,
    string? Detail,
    string Source);
