namespace Atlas.Domain.Rendering;

/// <summary>How <c>POST /v1/render</c> draws a prediction.</summary>
/// <param name="MinConfidence">Boxes below this detector confidence are not drawn (0..1).</param>
/// <param name="BlurPeople">Blur every human and vehicle box at or above <see cref="BlurFloor"/> (or <see cref="MinConfidence"/> if lower), drawn or not.</param>
/// <param name="JpegQuality">JPEG quality of the answer, 1..100.</param>
/// <param name="MaxSize">Longest side of the answer in pixels; larger (upright) images are scaled down. Null keeps the size.</param>
public sealed record RenderOptions(double MinConfidence = 0.2, bool BlurPeople = false, int JpegQuality = 85, int? MaxSize = null)
{
    /// <summary>Privacy blur reaches boxes down to this confidence even when they are too weak to be drawn.</summary>
    public const double BlurFloor = 0.1;

    public const int MinMaxSize = 16;
    public const int MaxMaxSize = 8192;
}

/// <summary>An encoded rendering.</summary>
public sealed record RenderedImage(byte[] Jpeg, int Width, int Height);
