using Atlas.Domain.Images;
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
    public static bool IsTiff(ReadOnlySpan<byte> b) => ImageFormatSniffer.IsTiff(b);

    public static RgbImage Decode(ReadOnlySpan<byte> encoded, long maxPixels)
    {
        var bytes = encoded.ToArray();
        CheckFirstDirectory(bytes, maxPixels);
        using var stream = new MemoryStream(bytes, writable: false);
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

    /// <summary>
    /// Checks the first directory (IFD) before LibTiff.NET reads it: it must lie inside the file, and no entry may claim
    /// more value bytes than the whole file holds. LibTiff.NET trusts those counts: a fuzzed SamplesPerPixel entry with a
    /// count of 3.7 billion made it spin for minutes. Then the size: the pixel limit is applied to the header's width x height
    /// here, and the strip (or tile) count those dimensions imply must be describable by the file (a 16 x 1,073,741,840 image
    /// with 16 rows per strip made LibTiff.NET build 67 million strip entries). A real file never fails these checks.
    /// Last, every strip (or tile) byte count is clamped to the file's length in place: LibTiff.NET allocates a buffer of
    /// the declared size before it reads, and a fuzzed count of 1.3 GB in an 1,840-byte file cost seconds of page faults
    /// per decode (a hang on a loaded machine). No strip can hold more bytes than the file, so a real file is unchanged
    /// and a truncated one still decodes what it has.
    /// </summary>
    internal static void CheckFirstDirectory(Span<byte> b, long maxPixels)
    {
        if (b.Length < 8) throw Corrupt("the file is shorter than a TIFF header");
        var little = b[0] == (byte)'I';
        var magic = Read16(b, 2, little);
        var big = magic == 43;
        if (magic != 42 && !big) throw Corrupt($"the header's version is {magic}, not 42 (TIFF) or 43 (BigTIFF)");
        if (big && b.Length < 16) throw Corrupt("the file is shorter than a BigTIFF header");

        var length = (ulong)b.Length;
        var offset = big ? Read64(b, 8, little) : Read32(b, 4, little);
        var countSize = big ? 8UL : 2UL;
        var entrySize = big ? 20UL : 12UL;
        if (offset < 8 || offset > length - countSize) throw Corrupt($"its first directory offset ({offset:N0}) points outside the {length:N0}-byte file");
        var entries = big ? Read64(b, (int)offset, little) : Read16(b, (int)offset, little);
        if (entries == 0 || entries > (length - offset - countSize) / entrySize)
            throw Corrupt($"its first directory declares {entries:N0} entries, more than the file holds");

        var scalars = new Dictionary<ulong, ulong>(5);
        for (var i = 0UL; i < entries; i++)
        {
            var at = (int)(offset + countSize + i * entrySize);
            var tag = Read16(b, at, little);
            var type = Read16(b, at + 2, little);
            var count = big ? Read64(b, at + 4, little) : Read32(b, at + 4, little);
            var size = type switch
            {
                3 or 8 => 2UL,
                4 or 9 or 11 or 13 => 4UL,
                5 or 10 or 12 or 16 or 17 or 18 => 8UL,
                _ => 1UL,
            };
            if (count > length / size)
                throw Corrupt($"directory entry {i} (tag {tag}) claims {count:N0} values, more than the {length:N0}-byte file holds");
            // Values that do not fit in the entry live elsewhere in the file: all of them must. A fuzzed StripByteCounts
            // array running one byte past the end made LibTiff.NET take 1-22 s per decode of a 2 KB file.
            var valueField = (ulong)at + (big ? 12UL : 8UL);
            var valuesAt = count * size <= (big ? 8UL : 4UL) ? valueField : big ? Read64(b, (int)valueField, little) : Read32(b, (int)valueField, little);
            if (valuesAt > length || count * size > length - valuesAt)
                throw Corrupt($"directory entry {i} (tag {tag}) keeps its {count:N0} values at {valuesAt:N0}, outside the {length:N0}-byte file");
            if (tag is 279 or 325 && type is 3 or 4 or 16)
            {
                ClampByteCounts(b, valuesAt, little, type, count, size);
            }

            if (count == 1 && type is 3 or 4 or 16 && tag is 256 or 257 or 278 or 322 or 323)
            {
                var valueAt = at + (big ? 12 : 8);
                scalars[tag] = type == 3 ? Read16(b, valueAt, little) : type == 4 ? Read32(b, valueAt, little) : Read64(b, valueAt, little);
            }
        }

        var width = scalars.GetValueOrDefault(256UL);
        var height = scalars.GetValueOrDefault(257UL);
        if (width == 0 || height == 0) return; // LibTiff reports the missing or empty size itself.
        if (width > (ulong)maxPixels || height > (ulong)maxPixels || width * height > (ulong)maxPixels)
        {
            throw new ImageTooLargeException(
                $"The image is {width}x{height} = {(System.Numerics.BigInteger)width * height:N0} pixels, above the limit of {maxPixels:N0} pixels. Downscale it before uploading.");
        }

        ulong blocks;
        if (scalars.TryGetValue(322UL, out var tileWidth) && scalars.TryGetValue(323UL, out var tileLength) && tileWidth > 0 && tileLength > 0)
            blocks = ((width + tileWidth - 1) / tileWidth) * ((height + tileLength - 1) / tileLength);
        else
            blocks = (height + Math.Max(1UL, Math.Min(height, scalars.GetValueOrDefault(278UL, height))) - 1) / Math.Max(1UL, Math.Min(height, scalars.GetValueOrDefault(278UL, height)));
        if (blocks > length / 2)
            throw Corrupt($"its {width}x{height} image would need {blocks:N0} strips or tiles, more than the {length:N0}-byte file can describe");
    }

    /// <summary>Clamps the values of one StripByteCounts/TileByteCounts entry, stored at <paramref name="start"/>, to the file length.</summary>
    private static void ClampByteCounts(Span<byte> b, ulong start, bool little, ulong type, ulong count, ulong size)
    {
        var length = (ulong)b.Length;
        for (var i = 0UL; i < count; i++)
        {
            var p = (int)(start + i * size);
            var value = type == 3 ? Read16(b, p, little) : type == 4 ? Read32(b, p, little) : Read64(b, p, little);
            if (value <= length) continue;
            if (type == 3) Write(b[p..], (ushort)length, little);
            else if (type == 4) Write(b[p..], (uint)length, little);
            else Write(b[p..], length, little);
        }
    }

    private static void Write(Span<byte> at, ushort value, bool little)
    {
        if (little) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(at, value);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(at, value);
    }

    private static void Write(Span<byte> at, uint value, bool little)
    {
        if (little) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(at, value);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(at, value);
    }

    private static void Write(Span<byte> at, ulong value, bool little)
    {
        if (little) System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(at, value);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(at, value);
    }

    private static ImageDecodeException Corrupt(string why) => new($"The TIFF image is corrupt: {why}. Re-save it and try again.");

    private static ulong Read16(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b[at..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b[at..]);

    private static ulong Read32(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b[at..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b[at..]);

    private static ulong Read64(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b[at..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b[at..]);

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
