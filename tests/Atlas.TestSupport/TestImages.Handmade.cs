using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Atlas.TestSupport;

/// <summary>
/// Image bytes written by hand, so a header can say anything: valid seeds of the unusual variants (16-bit and
/// palette PNG, animated GIF and WebP) and broken ones (bombs, bad offsets, corrupt EXIF) for the decoder tests,
/// the hostile-input corpus and the fuzzer. Nothing is downloaded.
/// </summary>
public static partial class TestImages
{
    /// <summary>A 2x2 two-frame GIF made with PIL: frame 0 = red, green / blue, white; frame 1 = all white.</summary>
    public const string TwoFrameGifBase64 =
        "R0lGODlhAgACAIEAAP8AAAD/AAAA/////yH/C05FVFNDQVBFMi4wAwEAAAAh+QQACgAAACwAAAAAAgACAAAIBwABBBAwICAAIfkEAAoAAAAsAAAAAAIAAgCB////AAAAAAAAAAAACAYAAQgEEBAAOw==";

    /// <summary>A bottom-up 24-bit BMP (Skia cannot encode BMP).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var rowSize = ((width * 3) + 3) & ~3;
        var file = new byte[54 + (rowSize * height)];
        file[0] = (byte)'B'; file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + ((height - 1 - y) * rowSize);
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                file[row + (x * 3)] = b; file[row + (x * 3) + 1] = g; file[row + (x * 3) + 2] = r;
            }
        }

        return file;
    }

    /// <summary>A 24-bit BMP gradient (the corpus seed): blue 40, green 3 per stored row, red 2 per column.</summary>
    public static byte[] Bmp(int width = 96, int height = 64) =>
        Bmp(width, height, (x, y) => ((byte)(x * 2), (byte)((height - 1 - y) * 3), 40));

    /// <summary>An 8-bit RGBA PNG (colour type 6), fastest compression.</summary>
    public static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B, byte A)> pixel) =>
        PngWriter.Encode(width, height, colourType: 6, bitDepth: 8, (x, y) =>
        {
            var (r, g, b, a) = pixel(x, y);
            return [r, g, b, a];
        }, compression: CompressionLevel.Fastest);

    /// <summary>A PNG of any colour type and bit depth, optional palette, optional Adam7 flag.</summary>
    public static byte[] Png(int width, int height, byte colourType, byte bitDepth, Func<int, int, byte[]> pixelBytes, byte[]? palette = null, bool interlaced = false) =>
        PngWriter.Encode(width, height, colourType, bitDepth, pixelBytes, palette, interlaced);

    /// <summary>16 bits per channel RGB.</summary>
    public static byte[] Png16(int width = 64, int height = 48) =>
        Png(width, height, 2, 16, (x, y) => [(byte)(x * 4), 0x80, 0x40, 0x00, (byte)(y * 5), 0x11]);

    /// <summary>8-bit palette PNG with 4 colours.</summary>
    public static byte[] PngPalette(int width = 64, int height = 48) =>
        Png(width, height, 3, 8, (x, y) => [(byte)((x / 16 + y / 16) % 4)], palette: [220, 30, 30, 128, 128, 128, 30, 200, 30, 10, 10, 200]);

    /// <summary>
    /// A valid PNG signature and IHDR chunk that announces <paramref name="width"/> x <paramref name="height"/> RGB
    /// pixels, then an empty zlib stream (a decompression-bomb header).
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height) =>
        PngWriter.Write(width, height, colourType: 2, bitDepth: 8, [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);

    /// <summary>A PNG whose header announces <paramref name="width"/> x <paramref name="height"/> but carries almost no data.</summary>
    public static byte[] PngBomb(int width, int height) =>
        // A real zlib stream of zeros: small on the wire, huge once inflated.
        PngWriter.Write(width, height, colourType: 2, bitDepth: 8, PngWriter.Zlib(new byte[1 << 20]));

    /// <summary>Rewrites a JPEG's SOF0/SOF2 height and width (a JPEG "bomb" when they are huge, broken when 0).</summary>
    public static byte[] JpegWithDimensions(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (var i = 2; i + 9 < copy.Length; i++)
        {
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        }
        throw new InvalidOperationException("No SOF marker.");
    }

    /// <summary>Inserts an APP1 EXIF segment (the given TIFF structure) after the JPEG SOI marker.</summary>
    public static byte[] JpegWithExif(byte[] jpeg, byte[] tiffStructure) => ExifWriter.InsertApp1(jpeg, [.. "Exif\0\0"u8, .. tiffStructure]);

    /// <summary>Inserts an EXIF APP1 segment holding only the Orientation tag right after the JPEG SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation) =>
        JpegWithExif(jpeg, ExifIfd(8, 1, [(0x0112, 3, 1, (uint)orientation)]));

    /// <summary>Big-endian EXIF TIFF structure: IFD0 at <paramref name="ifdOffset"/> with the given entry count and entries, then the next-IFD offset.</summary>
    public static byte[] ExifIfd(uint ifdOffset, ushort declaredEntries, IEnumerable<(ushort Tag, ushort Type, uint Count, uint Value)> entries, uint nextIfd = 0, int padTo = 0)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[12];
        ms.Write("MM\0*"u8);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, ifdOffset);
        ms.Write(buffer, 0, 4);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, declaredEntries);
        ms.Write(buffer, 0, 2);
        foreach (var (tag, type, count, value) in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(0), tag);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), type);
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), count);
            // SHORT values sit in the first two bytes of the value field.
            if (type == 3 && count == 1) BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), value << 16);
            else BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), value);
            ms.Write(buffer, 0, 12);
        }
        BinaryPrimitives.WriteUInt32BigEndian(buffer, nextIfd);
        ms.Write(buffer, 0, 4);
        while (ms.Length < padTo) ms.WriteByte(0);
        return ms.ToArray();
    }

    /// <summary>A JPEG whose EXIF block says only Orientation = <paramref name="orientation"/>.</summary>
    public static byte[] JpegWithOrientation(int orientation) =>
        WithExifOrientation(Jpeg(96, 64), orientation);

    /// <summary>A GIF89a, uncompressed-LZW frames of a 4-colour palette; several frames make it animated (NETSCAPE loop).</summary>
    public static byte[] Gif(int width, int height, int frames)
    {
        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        WriteLe16(ms, width);
        WriteLe16(ms, height);
        ms.WriteByte(0xF7); // global colour table, 256 entries
        ms.WriteByte(0);
        ms.WriteByte(0);
        for (var i = 0; i < 256; i++) ms.Write([(byte)i, (byte)(255 - i), (byte)(i * 7)]);
        if (frames > 1)
        {
            ms.Write([0x21, 0xFF, 0x0B]);
            ms.Write("NETSCAPE2.0"u8);
            ms.Write([0x03, 0x01, 0x00, 0x00, 0x00]);
        }
        for (var f = 0; f < frames; f++)
        {
            ms.Write([0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00]); // graphic control: 100 ms
            ms.WriteByte(0x2C);
            WriteLe16(ms, 0);
            WriteLe16(ms, 0);
            WriteLe16(ms, width);
            WriteLe16(ms, height);
            ms.WriteByte(0);
            ms.WriteByte(8); // LZW minimum code size
            var indices = new byte[width * height];
            for (var i = 0; i < indices.Length; i++) indices[i] = (byte)((i % width / 8 + i / width / 8 + f * 40) % 256);
            var lzw = UncompressedLzw(indices);
            for (var offset = 0; offset < lzw.Length; offset += 255)
            {
                var n = Math.Min(255, lzw.Length - offset);
                ms.WriteByte((byte)n);
                ms.Write(lzw, offset, n);
            }
            ms.WriteByte(0);
        }
        ms.WriteByte(0x3B);
        return ms.ToArray();
    }

    /// <summary>An animated WebP (VP8X + ANIM + two ANMF frames) built around Skia-encoded frames.</summary>
    public static byte[] AnimatedWebP(int width = 64, int height = 48)
    {
        var frameA = WebPFirstChunk(Picture(SKEncodedImageFormat.Webp, width, height, 80));
        var frameB = WebPFirstChunk(Picture(SKEncodedImageFormat.Webp, width, height, 40));
        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        var vp8x = new byte[10];
        vp8x[0] = 0x02; // animation
        WriteLe24(vp8x, 4, width - 1);
        WriteLe24(vp8x, 7, height - 1);
        RiffChunk(body, "VP8X", vp8x);
        RiffChunk(body, "ANIM", [0, 0, 0, 0, 0, 0]);
        foreach (var frame in new[] { frameA, frameB })
        {
            var header = new byte[16];
            WriteLe24(header, 6, width - 1);
            WriteLe24(header, 9, height - 1);
            WriteLe24(header, 12, 100);
            RiffChunk(body, "ANMF", [.. header, .. frame]);
        }
        using var file = new MemoryStream();
        file.Write("RIFF"u8);
        var size = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, (int)body.Length);
        file.Write(size);
        body.Position = 0;
        body.CopyTo(file);
        return file.ToArray();
    }

    /// <summary>
    /// A hand-made little-endian RGB TIFF with one strip whose StripByteCounts / StripOffsets are whatever the caller
    /// says (a "huge strip" claims far more bytes than the file has).
    /// </summary>
    public static byte[] TiffWithStrip(int width, int height, uint stripOffset, uint stripByteCount, int dataBytes)
    {
        using var ms = new MemoryStream();
        var b = new byte[12];
        ms.Write("II*\0"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(b, 8);
        ms.Write(b, 0, 4);
        (ushort Tag, ushort Type, uint Count, uint Value)[] entries =
        [
            (256, 4, 1, (uint)width), (257, 4, 1, (uint)height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 2),
            (273, 4, 1, stripOffset), (277, 3, 1, 3), (278, 4, 1, (uint)height), (279, 4, 1, stripByteCount),
        ];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)entries.Length);
        ms.Write(b, 0, 2);
        foreach (var (tag, type, count, value) in entries)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), count);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), value);
            ms.Write(b, 0, 12);
        }
        ms.Write(new byte[4]);
        var data = new byte[dataBytes];
        for (var i = 0; i < data.Length; i++) data[i] = (byte)(i * 31);
        ms.Write(data);
        return ms.ToArray();
    }

    /// <summary>A valid TIFF header followed by random bytes (the directory offset points anywhere).</summary>
    public static byte[] TiffHeaderThenNoise(int seed, int length = 256)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        "II*\0"u8.CopyTo(bytes);
        return bytes;
    }

    /// <summary>A small ZIP archive holding one text file.</summary>
    public static byte[] Zip()
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry("payload.txt");
            using var writer = new StreamWriter(entry.Open());
            writer.Write("polyglot payload");
        }
        return ms.ToArray();
    }

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] WebPFirstChunk(byte[] webp)
    {
        // RIFF size WEBP, then the first chunk (VP8 or VP8L for Skia's simple files).
        var size = BinaryPrimitives.ReadInt32LittleEndian(webp.AsSpan(16));
        return webp.AsSpan(12, 8 + size + (size & 1)).ToArray();
    }

    private static void RiffChunk(Stream s, string fourCc, byte[] data)
    {
        s.Write(Encoding.ASCII.GetBytes(fourCc));
        var size = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, data.Length);
        s.Write(size);
        s.Write(data);
        if ((data.Length & 1) == 1) s.WriteByte(0);
    }

    private static byte[] UncompressedLzw(byte[] indices)
    {
        // 9-bit codes; a clear code every 254 literals keeps the decoder's table (and so the code width) from growing.
        var bits = new List<byte>();
        long acc = 0;
        var count = 0;
        void Emit(int code)
        {
            acc |= (long)code << count;
            count += 9;
            while (count >= 8)
            {
                bits.Add((byte)acc);
                acc >>= 8;
                count -= 8;
            }
        }
        Emit(256);
        for (var i = 0; i < indices.Length; i++)
        {
            if (i > 0 && i % 254 == 0) Emit(256);
            Emit(indices[i]);
        }
        Emit(257);
        if (count > 0) bits.Add((byte)acc);
        return [.. bits];
    }

    private static void WriteLe16(Stream s, int value) => s.Write([(byte)value, (byte)(value >> 8)]);

    private static void WriteLe24(byte[] target, int offset, int value)
    {
        target[offset] = (byte)value;
        target[offset + 1] = (byte)(value >> 8);
        target[offset + 2] = (byte)(value >> 16);
    }
}
