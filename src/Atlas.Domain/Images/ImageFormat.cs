namespace Atlas.Domain.Images;

/// <summary>Image container formats Atlas accepts, recognised by their magic bytes.</summary>
public enum ImageFormat
{
    Unknown = 0,
    Jpeg,
    Png,
    WebP,
    Gif,
    Bmp,
    Tiff,
}

/// <summary>Identifies image formats from their first bytes and maps media types to formats.</summary>
public static class ImageFormatSniffer
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Bytes needed to recognise every supported format.</summary>
    public const int HeaderLength = 16;

    private static readonly Dictionary<string, ImageFormat> MediaTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/jpeg"] = ImageFormat.Jpeg,
        ["image/jpg"] = ImageFormat.Jpeg,
        ["image/pjpeg"] = ImageFormat.Jpeg,
        ["image/png"] = ImageFormat.Png,
        ["image/x-png"] = ImageFormat.Png,
        ["image/webp"] = ImageFormat.WebP,
        ["image/gif"] = ImageFormat.Gif,
        ["image/bmp"] = ImageFormat.Bmp,
        ["image/x-bmp"] = ImageFormat.Bmp,
        ["image/x-ms-bmp"] = ImageFormat.Bmp,
        ["image/tiff"] = ImageFormat.Tiff,
        ["image/tif"] = ImageFormat.Tiff,
        ["image/x-tiff"] = ImageFormat.Tiff,
    };

    /// <summary>The canonical media type of each format.</summary>
    public static string MediaTypeOf(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Png => "image/png",
        ImageFormat.WebP => "image/webp",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Bmp => "image/bmp",
        ImageFormat.Tiff => "image/tiff",
        _ => "application/octet-stream",
    };

    /// <summary>Media types accepted on upload, for error messages and OpenAPI.</summary>
    public static IReadOnlyCollection<string> AcceptedMediaTypes => MediaTypes.Keys;

    /// <summary>Recognises the format from the leading bytes; <see cref="ImageFormat.Unknown"/> when none matches.</summary>
    public static ImageFormat Detect(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF) return ImageFormat.Jpeg;
        if (header.StartsWith(PngSignature)) return ImageFormat.Png;
        if (header.Length >= 12 && header[..4].SequenceEqual("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (header.StartsWith("BM"u8) && header.Length >= 14) return ImageFormat.Bmp;
        if (IsTiff(header)) return ImageFormat.Tiff;
        return ImageFormat.Unknown;
    }

    /// <summary>True when the bytes start with a little- or big-endian TIFF header (the decoder routes these to LibTiff).</summary>
    public static bool IsTiff(ReadOnlySpan<byte> header) => header.StartsWith("II*\0"u8) || header.StartsWith("MM\0*"u8);

    private static readonly HashSet<string> GenericMediaTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/octet-stream",
        "binary/octet-stream",
        "application/x-octet-stream",
        "application/unknown",
    };

    /// <summary>
    /// True when the declared <c>Content-Type</c> says nothing about the content: missing, blank, or a generic binary
    /// type such as <c>application/octet-stream</c> (parameters ignored). Such uploads are identified by their bytes.
    /// </summary>
    public static bool IsGenericMediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return true;
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return GenericMediaTypes.Contains((semicolon >= 0 ? contentType[..semicolon] : contentType).Trim());
    }

    /// <summary>
    /// Parses a declared <c>Content-Type</c> (parameters ignored) into a format. Returns false when the
    /// media type is missing, not an image, or an image type Atlas does not read.
    /// </summary>
    public static bool TryParseMediaType(string? contentType, out ImageFormat format)
    {
        format = ImageFormat.Unknown;
        if (string.IsNullOrWhiteSpace(contentType)) return false;
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim();
        return MediaTypes.TryGetValue(mediaType, out format);
    }
}
