using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace Atlas.Api.Tests.Reliability;

/// <summary>
/// Image bytes made in code for the hostile-input corpus and the fuzzer: valid seeds of every accepted format
/// (including the unusual variants: 16-bit and palette PNG, animated GIF and WebP, multi-page TIFF) and hand-made
/// broken ones (bombs, bad offsets, corrupt EXIF). Nothing is downloaded.
/// </summary>
public static class HostileImages
{
    /// <summary>A 320x240 grey picture with a red square (the demo detector sees an animal).</summary>
    public static byte[] Picture(SKEncodedImageFormat format, int width = 320, int height = 240, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(128, 128, 128));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = new SKColor(220, 30, 30), IsAntialias = false })
        {
            canvas.DrawRect(new SKRect(width / 4f, height / 4f, width / 2f, height / 2f), paint);
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] Jpeg(int width = 320, int height = 240) => Picture(SKEncodedImageFormat.Jpeg, width, height);

    /// <summary>A 24-bit bottom-up BMP (Skia cannot encode BMP).</summary>
    public static byte[] Bmp(int width = 96, int height = 64)
    {
        var stride = (width * 3 + 3) & ~3;
        var file = new byte[54 + stride * height];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = 54 + y * stride + 3 * x;
                file[i] = 40;
                file[i + 1] = (byte)(y * 3);
                file[i + 2] = (byte)(x * 2);
            }
        }
        return file;
    }

    /// <summary>A PNG written by hand: any colour type and bit depth, optional palette, optional Adam7 flag.</summary>
    public static byte[] Png(int width, int height, byte colourType, byte bitDepth, Func<int, int, byte[]> pixelBytes, byte[]? palette = null, bool interlaced = false)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        ihdr[12] = interlaced ? (byte)1 : (byte)0;
        PngChunk(ms, "IHDR", ihdr);
        if (palette is not null) PngChunk(ms, "PLTE", palette);
        using var raw = new MemoryStream();
        if (interlaced)
        {
            // Adam7: seven passes, each its own sequence of filtered rows.
            int[] x0 = [0, 4, 0, 2, 0, 1, 0], y0 = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
            for (var pass = 0; pass < 7; pass++)
            {
                for (var y = y0[pass]; y < height; y += dy[pass])
                {
                    if (x0[pass] >= width) continue;
                    raw.WriteByte(0);
                    for (var x = x0[pass]; x < width; x += dx[pass]) raw.Write(pixelBytes(x, y));
                }
            }
        }
        else
        {
            for (var y = 0; y < height; y++)
            {
                raw.WriteByte(0);
                for (var x = 0; x < width; x++) raw.Write(pixelBytes(x, y));
            }
        }
        PngChunk(ms, "IDAT", Zlib(raw.ToArray()));
        PngChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>16 bits per channel RGB.</summary>
    public static byte[] Png16(int width = 64, int height = 48) =>
        Png(width, height, 2, 16, (x, y) => [(byte)(x * 4), 0x80, 0x40, 0x00, (byte)(y * 5), 0x11]);

    /// <summary>8-bit palette PNG with 4 colours.</summary>
    public static byte[] PngPalette(int width = 64, int height = 48) =>
        Png(width, height, 3, 8, (x, y) => [(byte)((x / 16 + y / 16) % 4)], palette: [220, 30, 30, 128, 128, 128, 30, 200, 30, 10, 10, 200]);

    /// <summary>A PNG whose header announces <paramref name="width"/> x <paramref name="height"/> but carries almost no data.</summary>
    public static byte[] PngBomb(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        PngChunk(ms, "IHDR", ihdr);
        // A real zlib stream of zeros: small on the wire, huge once inflated.
        PngChunk(ms, "IDAT", Zlib(new byte[1 << 20]));
        PngChunk(ms, "IEND", []);
        return ms.ToArray();
    }

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
    public static byte[] JpegWithExif(byte[] jpeg, byte[] tiffStructure)
    {
        byte[] exifHeader = [(byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0];
        var length = 2 + exifHeader.Length + tiffStructure.Length;
        if (length > 0xFFFF) throw new ArgumentException("An APP1 segment holds at most 65,533 bytes.", nameof(tiffStructure));
        using var ms = new MemoryStream();
        ms.Write(jpeg, 0, 2);
        ms.Write([0xFF, 0xE1, (byte)(length >> 8), (byte)length]);
        ms.Write(exifHeader);
        ms.Write(tiffStructure);
        ms.Write(jpeg, 2, jpeg.Length - 2);
        return ms.ToArray();
    }

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
        JpegWithExif(Jpeg(96, 64), ExifIfd(8, 1, [(0x0112, 3, 1, (uint)orientation)]));

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

    /// <summary>A TIFF of <paramref name="pages"/> RGB pages (LibTiff.NET).</summary>
    public static byte[] Tiff(int width, int height, int pages = 1)
    {
        using var stream = new MemoryStream();
        using (var tiff = BitMiracle.LibTiff.Classic.Tiff.ClientOpen("corpus.tif", "w", stream, new TiffStream()))
        {
            for (var page = 0; page < pages; page++)
            {
                tiff.SetField(TiffTag.IMAGEWIDTH, width);
                tiff.SetField(TiffTag.IMAGELENGTH, height);
                tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
                tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
                tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
                tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
                tiff.SetField(TiffTag.COMPRESSION, Compression.LZW);
                tiff.SetField(TiffTag.ROWSPERSTRIP, 16);
                if (pages > 1)
                {
                    tiff.SetField(TiffTag.SUBFILETYPE, FileType.PAGE);
                    tiff.SetField(TiffTag.PAGENUMBER, page, pages);
                }
                var row = new byte[width * 3];
                for (var y = 0; y < height; y++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        row[3 * x] = (byte)(x * 3 + page);
                        row[3 * x + 1] = (byte)(y * 3);
                        row[3 * x + 2] = 90;
                    }
                    tiff.WriteScanline(row, y);
                }
                tiff.WriteDirectory();
            }
        }
        return stream.ToArray();
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

    private static byte[] Zlib(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private static void PngChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32([.. typeBytes, .. data]));
        s.Write(len);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var x in bytes)
        {
            crc ^= x;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
