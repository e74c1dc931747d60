using System.Buffers;
using Atlas.Domain.Errors;
using BitMiracle.LibTiff.Classic;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// TIFF support for <see cref="ImageDecoder"/> (Skia has no TIFF codec; the upload intake accepts TIFF). Uses
/// LibTiff.NET's RGBA interface, which converts every photometric/bit-depth combination it knows (greyscale,
/// palette, RGB, CMYK, YCbCr, 16-bit) to 8-bit RGBA, and flips the rows to the top-left origin the Orientation tag
/// asks for. Only the first page (directory) is read, like PIL. Alpha is dropped.
/// </summary>
internal static class TiffDecoder
{
    static TiffDecoder() => Tiff.SetErrorHandler(new SilentHandler());

    /// <summary>True when the bytes start with a little- or big-endian TIFF header.</summary>
    public static bool IsTiff(ReadOnlySpan<byte> b) => b.StartsWith("II*\0"u8) || b.StartsWith("MM\0*"u8);

    public static RgbImage Decode(ReadOnlySpan<byte> encoded, long maxPixels)
    {
        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        using var tiff = Tiff.ClientOpen("upload.tif", "r", stream, new TiffStream())
            ?? throw new ImageDecodeException("The TIFF image is corrupt: its header cannot be read. Re-save it and try again.");
        var width = tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0;
        var height = tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException($"The TIFF header announces an empty image ({width}x{height}).");
        }

        var pixels = (long)width * height;
        if (pixels > maxPixels)
        {
            throw new ImageTooLargeException(
                $"The image is {width}x{height} = {pixels:N0} pixels, above the limit of {maxPixels:N0} pixels. Downscale it before uploading.");
        }

        var raster = ArrayPool<int>.Shared.Rent((int)pixels);
        try
        {
            bool ok;
            try
            {
                ok = tiff.ReadRGBAImageOriented(width, height, raster, Orientation.TOPLEFT);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new ImageDecodeException($"The TIFF image ({width}x{height}) could not be decoded: {ex.Message}. Re-save it as JPEG or PNG.", ex);
            }

            if (!ok)
            {
                throw new ImageDecodeException($"The TIFF image ({width}x{height}) uses a layout that cannot be decoded. Re-save it as JPEG or PNG.");
            }

            var image = RgbImage.Allocate(width, height);
            var rgb = image.Pixels;
            for (var i = 0; i < (int)pixels; i++)
            {
                var abgr = raster[i];
                rgb[3 * i] = (byte)abgr;
                rgb[3 * i + 1] = (byte)(abgr >> 8);
                rgb[3 * i + 2] = (byte)(abgr >> 16);
            }

            return image;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(raster);
        }
    }

    /// <summary>LibTiff prints warnings and errors to the console by default; failures surface as exceptions instead.</summary>
    private sealed class SilentHandler : TiffErrorHandler
    {
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args)
        {
        }

        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args)
        {
        }

        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args)
        {
        }

        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args)
        {
        }
    }
}
