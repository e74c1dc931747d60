using System.Buffers;
using System.Runtime.InteropServices;
using Atlas.Domain.Errors;
using Atlas.Domain.Images;
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

    /// <summary>
    /// Scaled decode for the detector (libjpeg-turbo DCT scaling): when <paramref name="encoded"/> is a
    /// JPEG and a decode at a scale n/8 (n &lt;= <paramref name="maxEighths"/>) still gives an upright image at least as large, on both axes, as
    /// <paramref name="required"/> asks for the full upright size (the letterbox's resized size), returns that
    /// reduced upright image (EXIF orientation applied). Returns null, and the caller decodes exactly with
    /// <see cref="Decode"/>, for any other format, an image too small to scale, one above the pixel limit, or bytes
    /// Skia cannot read (so the exact path reports the error). The caller owns the result.
    /// </summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="required">Full upright width and height -> the smallest width and height the caller needs.</param>
    /// <param name="fullWidth">The full-resolution upright width (0 when null is returned).</param>
    /// <param name="fullHeight">The full-resolution upright height (0 when null is returned).</param>
    /// <param name="maxEighths">The largest scale tried, in eighths (default 4: only JPEGs at least twice the needed
    /// size are scaled, through libjpeg-turbo's fast 1/2, 1/4 and 1/8 IDCTs).</param>
    public RgbImage? TryDecodeScaled(ReadOnlySpan<byte> encoded, Func<int, int, (int Width, int Height)> required, out int fullWidth, out int fullHeight, int maxEighths = 4)
    {
        ArgumentNullException.ThrowIfNull(required);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEighths, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxEighths, 7);
        fullWidth = 0;
        fullHeight = 0;
        if (encoded.IsEmpty || TiffDecoder.IsTiff(encoded)) return null;
        try
        {
            using var data = SKData.CreateCopy(encoded);
            using var codec = SKCodec.Create(data);
            if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Jpeg) return null;
            var info = codec.Info;
            if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > _maxPixels) return null;
            var origin = codec.EncodedOrigin;
            var swaps = SwapsAxes(origin);
            var uprightWidth = swaps ? info.Height : info.Width;
            var uprightHeight = swaps ? info.Width : info.Height;
            var (needWidth, needHeight) = required(uprightWidth, uprightHeight);
            var needRawWidth = swaps ? needHeight : needWidth;
            var needRawHeight = swaps ? needWidth : needHeight;
            SKSizeI scaled = default;
            for (var n = 1; n <= maxEighths; n++)
            {
                var candidate = codec.GetScaledDimensions(n / 8f);
                if (candidate.Width >= needRawWidth && candidate.Height >= needRawHeight)
                {
                    scaled = candidate;
                    break;
                }
            }
            if (scaled.Width <= 0 || scaled.Width >= info.Width || scaled.Height >= info.Height) return null;

            var alphaType = info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul;
            var target = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, alphaType);
            var rgbaLength = checked(scaled.Width * scaled.Height * 4);
            var rgba = ArrayPool<byte>.Shared.Rent(rgbaLength);
            var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            try
            {
                var result = DecodeJpegRows(codec, target, handle.AddrOfPinnedObject(), rgba.AsSpan(0, rgbaLength));
                if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput)) return null;
                fullWidth = uprightWidth;
                fullHeight = uprightHeight;
                return ExifOrientation.ToUprightRgb(rgba.AsSpan(0, rgbaLength), scaled.Width, scaled.Height, origin);
            }
            finally
            {
                handle.Free();
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }
        catch (Exception ex) when (IsCodecFault(ex))
        {
            fullWidth = 0;
            fullHeight = 0;
            return null;
        }
    }

    /// <summary>
    /// Decodes, at full resolution, only the part of a JPEG that covers the upright rectangle
    /// [<paramref name="left"/>, <paramref name="left"/> + <paramref name="width"/>) x
    /// [<paramref name="top"/>, <paramref name="top"/> + <paramref name="height"/>) clipped to the image, plus a
    /// margin of <see cref="RegionMargin"/> pixels (libjpeg-turbo <c>jpeg_crop_scanline</c> for the columns,
    /// <c>jpeg_skip_scanlines</c> above, stopping below), so the classifier crop reads the same pixels as from a
    /// full decode. The result is upright; (<paramref name="offsetX"/>, <paramref name="offsetY"/>) is its top-left
    /// corner in the full upright image. Returns null (decode exactly instead) for anything but a readable JPEG or
    /// an empty intersection. The caller owns the result.
    /// </summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="left">Left edge of the wanted rectangle in the upright image.</param>
    /// <param name="top">Top edge of the wanted rectangle in the upright image.</param>
    /// <param name="width">Width of the wanted rectangle.</param>
    /// <param name="height">Height of the wanted rectangle.</param>
    /// <param name="offsetX">Left edge of the returned image in the full upright image.</param>
    /// <param name="offsetY">Top edge of the returned image in the full upright image.</param>
    public RgbImage? TryDecodeRegion(ReadOnlySpan<byte> encoded, int left, int top, int width, int height, out int offsetX, out int offsetY)
    {
        offsetX = 0;
        offsetY = 0;
        if (encoded.IsEmpty || width <= 0 || height <= 0 || TiffDecoder.IsTiff(encoded)) return null;
        try
        {
            using var data = SKData.CreateCopy(encoded);
            using var codec = SKCodec.Create(data);
            if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Jpeg) return null;
            var info = codec.Info;
            int rawWidth = info.Width, rawHeight = info.Height;
            if (rawWidth <= 0 || rawHeight <= 0 || (long)rawWidth * rawHeight > _maxPixels) return null;
            var origin = codec.EncodedOrigin;
            var swaps = SwapsAxes(origin);
            var uprightWidth = swaps ? rawHeight : rawWidth;
            var uprightHeight = swaps ? rawWidth : rawHeight;
            int u0 = Math.Max(left, 0), v0 = Math.Max(top, 0);
            var u1 = (int)Math.Min((long)left + width, uprightWidth);
            var v1 = (int)Math.Min((long)top + height, uprightHeight);
            if (u0 >= u1 || v0 >= v1) return null;

            // The stored (pre-orientation) rectangle, widened by the margin and clipped.
            var (ax, ay) = ToRaw(origin, u0, v0, rawWidth, rawHeight);
            var (bx, by) = ToRaw(origin, u1 - 1, v1 - 1, rawWidth, rawHeight);
            var x0 = Math.Max(Math.Min(ax, bx) - RegionMargin, 0);
            var x1 = Math.Min(Math.Max(ax, bx) + 1 + RegionMargin, rawWidth);
            var y0 = Math.Max(Math.Min(ay, by) - RegionMargin, 0);
            var y1 = Math.Min(Math.Max(ay, by) + 1 + RegionMargin, rawHeight);
            int subWidth = x1 - x0, subHeight = y1 - y0;

            var alphaType = info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul;
            var target = new SKImageInfo(rawWidth, rawHeight, SKColorType.Rgba8888, alphaType);
            var rowBytes = subWidth * 4;
            var rgbaLength = checked(rowBytes * subHeight);
            var rgba = ArrayPool<byte>.Shared.Rent(rgbaLength);
            var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            try
            {
                var options = new SKCodecOptions(new SKRectI(x0, 0, x1, rawHeight));
                if (codec.StartScanlineDecode(target, options) != SKCodecResult.Success) return null;
                var rows = 0;
                if (y0 == 0 || codec.SkipScanlines(y0))
                {
                    rows = Math.Max(codec.GetScanlines(handle.AddrOfPinnedObject(), subHeight, rowBytes), 0);
                }
                if (rows < subHeight) rgba.AsSpan(rows * rowBytes, (subHeight - rows) * rowBytes).Fill(128);

                var (cx, cy) = FromRaw(origin, x0, y0, rawWidth, rawHeight);
                var (dx, dy) = FromRaw(origin, x1 - 1, y1 - 1, rawWidth, rawHeight);
                var image = ExifOrientation.ToUprightRgb(rgba.AsSpan(0, rgbaLength), subWidth, subHeight, origin);
                offsetX = Math.Min(cx, dx);
                offsetY = Math.Min(cy, dy);
                return image;
            }
            finally
            {
                handle.Free();
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }
        catch (Exception ex) when (IsCodecFault(ex))
        {
            offsetX = 0;
            offsetY = 0;
            return null;
        }
    }

    /// <summary>Extra full-resolution pixels decoded around a region, so codec edge effects stay outside the crop.</summary>
    public const int RegionMargin = 16;

    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>Upright pixel (u, v) -> stored pixel (x, y) of a <paramref name="w"/> x <paramref name="h"/> stored image.</summary>
    private static (int X, int Y) ToRaw(SKEncodedOrigin origin, int u, int v, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => (w - 1 - u, v),
        SKEncodedOrigin.BottomRight => (w - 1 - u, h - 1 - v),
        SKEncodedOrigin.BottomLeft => (u, h - 1 - v),
        SKEncodedOrigin.LeftTop => (v, u),
        SKEncodedOrigin.RightTop => (v, h - 1 - u),
        SKEncodedOrigin.RightBottom => (w - 1 - v, h - 1 - u),
        SKEncodedOrigin.LeftBottom => (w - 1 - v, u),
        _ => (u, v),
    };

    /// <summary>Stored pixel (x, y) -> upright pixel (u, v); the inverse of <see cref="ToRaw"/>.</summary>
    private static (int U, int V) FromRaw(SKEncodedOrigin origin, int x, int y, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => (w - 1 - x, y),
        SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
        SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
        SKEncodedOrigin.LeftTop => (y, x),
        SKEncodedOrigin.RightTop => (h - 1 - y, x),
        SKEncodedOrigin.RightBottom => (h - 1 - y, w - 1 - x),
        SKEncodedOrigin.LeftBottom => (y, w - 1 - x),
        _ => (x, y),
    };

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

    /// <summary>
    /// Names the format from its magic bytes, for error messages only: the formats Atlas reads by the one sniffer
    /// (<see cref="ImageFormatSniffer"/>), then looser prefixes (a damaged header still says what it was meant to be)
    /// and two formats Atlas does not read, so the message can say so.
    /// </summary>
    private static string? SniffFormat(ReadOnlySpan<byte> b)
    {
        var known = ImageFormatSniffer.Detect(b);
        if (known != ImageFormat.Unknown) return known is ImageFormat.Jpeg or ImageFormat.Png or ImageFormat.Gif or ImageFormat.Bmp or ImageFormat.Tiff ? known.ToString().ToUpperInvariant() : known.ToString();
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])) return "PNG";
        if (b.StartsWith("GIF8"u8)) return "GIF";
        if (b.StartsWith("BM"u8)) return "BMP";
        if (b.Length >= 12 && b.Slice(4, 4).SequenceEqual("ftyp"u8)) return "HEIF/AVIF";
        if (b.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, (byte)'j', (byte)'P'])) return "JPEG 2000";
        return null;
    }
}
