using System.ComponentModel.DataAnnotations;

namespace Atlas.Application.Images;

/// <summary>Limits on uploaded images (configuration section <c>Uploads</c>).</summary>
public sealed class UploadOptions
{
    public const string SectionName = "Uploads";

    /// <summary>Largest accepted file, in bytes. Default 5 MB, the seed's limit.</summary>
    [Range(1, 512L * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>Largest accepted image, in pixels (width x height from the header), to refuse decompression bombs.</summary>
    [Range(1, 1_000_000_000L)]
    public long MaxImagePixels { get; set; } = 100_000_000;

    /// <summary>Longest accepted file name, in characters.</summary>
    [Range(1, 4096)]
    public int MaxFileNameLength { get; set; } = 255;
}
