namespace Atlas.Infrastructure.Imaging;

/// <summary>Limits for <see cref="ImageDecoder"/>.</summary>
public sealed class ImageDecoderOptions
{
    /// <summary>Default pixel limit: 100 megapixels, well above any camera-trap sensor (2-40 MP).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>
    /// Images whose header announces more than this many pixels (width x height) are refused before any
    /// pixel memory is allocated, so a small "decompression bomb" file cannot exhaust memory.
    /// Must be between 1 and <see cref="RgbImage.MaxPixelCount"/>.
    /// </summary>
    public long MaxPixels { get; set; } = DefaultMaxPixels;
}
