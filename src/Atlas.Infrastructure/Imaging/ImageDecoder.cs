using System.Buffers;
using System.Runtime.InteropServices;
using Atlas.Domain.Errors;
using SkiaSharp;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP, GIF (first frame), BMP and TIFF (first page, <see cref="TiffDecoder"/>) bytes into an upright <see cref="RgbImage"/>, the way
/// SpeciesNet's <c>load_rgb_image</c> does with PIL (spec 2.1, 7):
/// <list type="bullet">
/// <item>the header is read first and images above <see cref="ImageDecoderOptions.MaxPixels"/> are refused
/// (<see cref="ImageTooLargeException"/>) before pixels are allocated;</item>
/// <item>truncated files decode as far as the data goes (PIL <c>LOAD_TRUNCATED_IMAGES</c>): missing JPEG rows
/// become grey 128 as under PIL/libjpeg; other formats leave them black (zero), as PIL's zeroed buffer does;</item>
/// <item>greyscale, palette and CMYK images become RGB (Skia treats CMYK JPEGs as Adobe-inverted, as PIL does,
/// and converts them with the same naive formula, no ICC profile);</item>
/// <item>alpha is dropped, not composited (PIL <c>convert("RGB")</c>): pixels are decoded unpremultiplied;</item>
/// <item>no colour-profile conversion is applied (PIL ignores embedded ICC profiles too);</item>
/// <item>the EXIF orientation (all 8 values) is applied last, so the result is upright.</item>
/// </list>
/// Thread-safe: the instance holds only its options.
/// </summary>
public sealed class ImageDecoder
{
    private const string Supported = "JPEG, PNG, WebP, GIF, BMP or TIFF";

    private readonly long _maxPixels;

    public ImageDecoder(ImageDecoderOptions? options = null)
    {
        _maxPixels = (options ?? new ImageDecoderOptions()).MaxPixels;
        if (_maxPixels < 1 || _maxPixels > RgbImage.MaxPixelCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), _maxPixels, $"MaxPixels must be between 1 and {RgbImage.MaxPixelCount}.");
        }
    }

    /// <summary>Decodes one encoded image. The caller owns (and must dispose) the result.</summary>
    /// <exception cref="ImageDecodeException">The bytes are empty, not a supported format, or corrupt.</exception>
    /// <exception cref="ImageTooLargeException">The header announces more pixels than allowed.</exception>
    public RgbImage Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new ImageDecodeException("The image is empty (0 bytes).");
        try
        {
            return TiffDecoder.IsTiff(encoded) ? TiffDecoder.Decode(encoded, _maxPixels) : DecodeWithSkia(encoded);
        }
        catch (Exception ex) when (IsCodecFault(ex))
        {
            // The boundary guard: whatever a codec throws on hostile bytes (LibTiff.NET lets ArgumentOutOfRange,
            // IOException, IndexOutOfRange, NullReference… out of a bad directory offset) is a corrupt upload (422),
            // never a server error (500).
            var format = TiffDecoder.IsTiff(encoded) ? "TIFF" : SniffFormat(encoded) ?? "image";
            throw new ImageDecodeException(
                $"The {format} data is corrupt and could not be decoded ({ex.GetType().Name}). Re-save it as JPEG or PNG.", ex);
        }
    }

    /// <summary>
    /// True for an exception that means "these bytes cannot be decoded". Not: our own errors (already a 4xx),
    /// cancellation (the caller asked to stop; it must keep its meaning), and out-of-memory — every allocation sized
    /// by the file is bounded by <see cref="ImageDecoderOptions.MaxPixels"/> before it happens, so running out of
    /// memory is a real server fault that must stay visible (500, logged at Error) rather than be blamed on the upload.
    /// </summary>
    internal static bool IsCodecFault(Exception exception) =>
        exception is not (AtlasException or OperationCanceledException or OutOfMemoryException);

    private RgbImage DecodeWithSkia(ReadOnlySpan<byte> encoded)
    {

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw Unreadable(encoded);

        var info = codec.Info;
        var width = info.Width;
        var height = info.Height;
        var format = codec.EncodedFormat.ToString().ToUpperInvariant();
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException($"The {format} header announces an empty image ({width}x{height}).");
        }
        var pixels = (long)width * height;
        if (pixels > _maxPixels)
        {
            throw new ImageTooLargeException(
                $"The image is {width}x{height} = {pixels:N0} pixels, above the limit of {_maxPixels:N0} pixels. Downscale it before uploading.");
        }

        // Opaque sources stay opaque; anything with alpha is decoded unpremultiplied so dropping alpha
        // leaves the stored colour untouched. A null colour space turns Skia's colour management off.
        var alphaType = info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul;
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, alphaType);
        var rgbaLength = checked((int)(pixels * 4));
        var rgba = ArrayPool<byte>.Shared.Rent(rgbaLength);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var pinned = handle.AddrOfPinnedObject();
            var result = codec.EncodedFormat == SKEncodedImageFormat.Jpeg
                ? DecodeJpegRows(codec, target, pinned, rgba.AsSpan(0, rgbaLength))
                : codec.GetPixels(target, pinned);
            switch (result)
            {
                case SKCodecResult.Success:
                // Truncated or partly corrupt data: Skia decoded what it could and filled the rest.
                case SKCodecResult.IncompleteInput:
                case SKCodecResult.ErrorInInput:
                    break;
                default:
                    throw new ImageDecodeException(
                        $"The {format} image ({width}x{height}) could not be decoded: {result}. Re-save it as JPEG or PNG.");
            }
            return ExifOrientation.ToUprightRgb(rgba.AsSpan(0, rgbaLength), width, height, codec.EncodedOrigin);
        }
        finally
        {
            handle.Free();
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    /// <summary>
    /// Decodes a JPEG row by row so a truncated file's missing rows are known. They are filled with
    /// mid-grey 128, as libjpeg under PIL produces them (it feeds a fake end-of-image marker, so the
    /// missing blocks decode with zero coefficients). Skia's own fill would be black. One difference stays:
    /// PIL also keeps the decoded blocks of the last, partial MCU row; Skia drops that whole row of blocks.
    /// </summary>
    private static SKCodecResult DecodeJpegRows(SKCodec codec, SKImageInfo target, IntPtr pixels, Span<byte> rgba)
    {
        var start = codec.StartScanlineDecode(target);
        if (start != SKCodecResult.Success) return start;
        var rows = codec.GetScanlines(pixels, target.Height, target.RowBytes);
        if (rows >= target.Height) return SKCodecResult.Success;
        rgba[(Math.Max(rows, 0) * target.RowBytes)..].Fill(128);
        return SKCodecResult.IncompleteInput;
    }

    private static ImageDecodeException Unreadable(ReadOnlySpan<byte> encoded)
    {
        var known = SniffFormat(encoded);
        return known switch
        {
            "HEIF/AVIF" or "JPEG 2000" => new ImageDecodeException(
                $"{known} images are not supported; convert the image to {Supported}."),
            null => new ImageDecodeException(
                $"The data is not a recognised image ({encoded.Length:N0} bytes); upload a {Supported} file."),
            _ => new ImageDecodeException(
                $"The {known} image is corrupt: its header cannot be read. Re-save it and try again."),
        };
    }

    /// <summary>Names the format from its magic bytes, for error messages only.</summary>
    private static string? SniffFormat(ReadOnlySpan<byte> b)
    {
        if (b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "JPEG";
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])) return "PNG";
        if (b.StartsWith("GIF8"u8)) return "GIF";
        if (b.StartsWith("BM"u8)) return "BMP";
        if (b.Length >= 12 && b.StartsWith("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8)) return "WebP";
        if (b.Length >= 12 && b.Slice(4, 4).SequenceEqual("ftyp"u8)) return "HEIF/AVIF";
        if (b.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, (byte)'j', (byte)'P'])) return "JPEG 2000";
        return null;
    }
}
