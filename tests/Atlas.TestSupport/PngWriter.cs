using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Atlas.TestSupport;

/// <summary>
/// The one hand-written PNG writer of the tests: signature, IHDR (any size, colour type, bit depth, Adam7 flag),
/// an optional PLTE, one IDAT and IEND, each chunk with its CRC. The header can say anything, so tests build
/// valid unusual files (16-bit, palette, interlaced) and hostile ones (a bomb header with almost no data).
/// </summary>
public static class PngWriter
{
    /// <summary>
    /// A PNG with the given pixels (<paramref name="pixelBytes"/>: the bytes of pixel (x, y) in the file's sample
    /// layout): each row filtered with "none", compressed with <paramref name="compression"/>.
    /// </summary>
    public static byte[] Encode(int width, int height, byte colourType, byte bitDepth, Func<int, int, byte[]> pixelBytes,
        byte[]? palette = null, bool interlaced = false, CompressionLevel compression = CompressionLevel.SmallestSize)
    {
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

        return Write(width, height, colourType, bitDepth, Zlib(raw.ToArray(), compression), palette, interlaced);
    }

    /// <summary>A PNG file around an IDAT payload given as is (already zlib-compressed, or deliberately not).</summary>
    public static byte[] Write(int width, int height, byte colourType, byte bitDepth, byte[] idat, byte[]? palette = null, bool interlaced = false)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        ihdr[12] = interlaced ? (byte)1 : (byte)0;
        Chunk(ms, "IHDR", ihdr);
        if (palette is not null) Chunk(ms, "PLTE", palette);
        Chunk(ms, "IDAT", idat);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A zlib stream of <paramref name="data"/>.</summary>
    public static byte[] Zlib(byte[] data, CompressionLevel compression = CompressionLevel.SmallestSize)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, compression, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, data.Length);
        s.Write(u32);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32([.. typeBytes, .. data]));
        s.Write(u32);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        return ~crc;
    }
}
