using Atlas.Domain.Rendering;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Abstractions;

/// <summary>Draws a SpeciesNet prediction onto its (EXIF-oriented) image. Implemented in Infrastructure with SkiaSharp.</summary>
public interface IPredictionRenderer
{
    /// <summary>
    /// Decodes <paramref name="image"/> upright, draws the detections (and blurs people/vehicles when asked) and
    /// encodes a JPEG. Throws the decoder's <see cref="Errors.ImageDecodeException"/> / <see cref="Errors.ImageTooLargeException"/>.
    /// </summary>
    RenderedImage Render(ReadOnlyMemory<byte> image, SpeciesNetPrediction prediction, RenderOptions options);
}
