using System.Buffers.Binary;
using System.Text;

namespace Atlas.TestSupport;

/// <summary>
/// A small EXIF (TIFF) writer for tests: builds IFD0 (Make, Model, DateTime, Orientation), the Exif sub-IFD
/// (DateTimeOriginal, OffsetTimeOriginal, BodySerialNumber) and the GPS IFD, in either byte order, and inserts
/// the block as an APP1 segment right after a JPEG's SOI marker. Every field is optional; raw entries let tests
/// write broken values on purpose.
/// </summary>
public sealed class ExifWriter
{
    public const ushort ByteType = 1;
    public const ushort AsciiType = 2;
    public const ushort ShortType = 3;
    public const ushort LongType = 4;
    public const ushort RationalType = 5;

    private readonly List<Entry> _ifd0 = [];
    private readonly List<Entry> _exif = [];
    private readonly List<Entry> _gps = [];

    public bool BigEndian { get; init; } = true;

    public ExifWriter Make(string value) => Add(_ifd0, 0x010F, value);

    public ExifWriter Model(string value) => Add(_ifd0, 0x0110, value);

    public ExifWriter DateTime(string value) => Add(_ifd0, 0x0132, value);

    public ExifWriter Orientation(int value) => Raw(_ifd0, 0x0112, ShortType, 1, U16((ushort)value));

    public ExifWriter DateTimeOriginal(string value) => Add(_exif, 0x9003, value);

    public ExifWriter OffsetTimeOriginal(string value) => Add(_exif, 0x9011, value);

    public ExifWriter BodySerialNumber(string value) => Add(_exif, 0xA431, value);

    /// <summary>GPS position in decimal degrees, written as N/S, E/W references and whole-degree/minute/second rationals.</summary>
    public ExifWriter Gps(double latitude, double longitude, string? status = null)
    {
        Raw(_gps, 0x0000, ByteType, 4, [2, 3, 0, 0]); // GPSVersionID
        Add(_gps, 0x0001, latitude < 0 ? "S" : "N");
        Raw(_gps, 0x0002, RationalType, 3, Dms(Math.Abs(latitude)));
        Add(_gps, 0x0003, longitude < 0 ? "W" : "E");
        Raw(_gps, 0x0004, RationalType, 3, Dms(Math.Abs(longitude)));
        if (status is not null)
        {
            Add(_gps, 0x0009, status);
        }

        return this;
    }

    /// <summary>Any GPS entry, e.g. a latitude with a zero denominator or a bad reference.</summary>
    public ExifWriter GpsRaw(ushort tag, ushort type, int count, byte[] value) => Raw(_gps, tag, type, count, value);

    public ExifWriter GpsAscii(ushort tag, string value) => Add(_gps, tag, value);

    /// <summary>Rationals (numerator, denominator) in this writer's byte order.</summary>
    public byte[] Rationals(params (uint Num, uint Den)[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            WriteU32(bytes.AsSpan(i * 8), values[i].Num);
            WriteU32(bytes.AsSpan((i * 8) + 4), values[i].Den);
        }

        return bytes;
    }

    /// <summary>The TIFF structure (starting with the byte-order mark).</summary>
    public byte[] BuildTiff()
    {
        var ifd0 = new List<Entry>(_ifd0);
        // Pointers are patched after layout; reserve the entries now so IFD0's size is known.
        var exifPointer = _exif.Count > 0 ? new Entry(0x8769, LongType, 1, new byte[4]) : null;
        var gpsPointer = _gps.Count > 0 ? new Entry(0x8825, LongType, 1, new byte[4]) : null;
        if (exifPointer is not null) ifd0.Add(exifPointer);
        if (gpsPointer is not null) ifd0.Add(gpsPointer);

        var ifds = new List<List<Entry>> { Sorted(ifd0) };
        if (exifPointer is not null) ifds.Add(Sorted(_exif));
        if (gpsPointer is not null) ifds.Add(Sorted(_gps));

        var offsets = new int[ifds.Count];
        var position = 8;
        for (var i = 0; i < ifds.Count; i++)
        {
            offsets[i] = position;
            position += IfdSize(ifds[i]);
        }

        var next = 1;
        if (exifPointer is not null) WriteU32(exifPointer.Value, (uint)offsets[next++]);
        if (gpsPointer is not null) WriteU32(gpsPointer.Value, (uint)offsets[next]);

        using var ms = new MemoryStream();
        ms.Write(BigEndian ? "MM"u8 : "II"u8);
        ms.Write(U16(42));
        ms.Write(U32(8));
        for (var i = 0; i < ifds.Count; i++)
        {
            WriteIfd(ms, ifds[i], offsets[i]);
        }

        return ms.ToArray();
    }

    /// <summary>A copy of <paramref name="jpeg"/> with this EXIF block as an APP1 segment after SOI.</summary>
    public byte[] InsertInto(byte[] jpeg) => InsertApp1(jpeg, [.. "Exif\0\0"u8, .. BuildTiff()]);

    /// <summary>A copy of <paramref name="jpeg"/> with an arbitrary APP1 payload after SOI (for corrupt EXIF tests).</summary>
    public static byte[] InsertApp1(byte[] jpeg, byte[] payload)
    {
        if (payload.Length + 2 > ushort.MaxValue) throw new ArgumentException("APP1 payload too large.", nameof(payload));
        var length = payload.Length + 2;
        using var ms = new MemoryStream();
        ms.Write(jpeg, 0, 2);
        ms.Write([0xFF, 0xE1, (byte)(length >> 8), (byte)length]);
        ms.Write(payload);
        ms.Write(jpeg, 2, jpeg.Length - 2);
        return ms.ToArray();
    }

    private static List<Entry> Sorted(List<Entry> entries) => [.. entries.OrderBy(e => e.Tag)];

    private static int IfdSize(List<Entry> entries) =>
        2 + (entries.Count * 12) + 4 + entries.Sum(e => e.Value.Length > 4 ? (e.Value.Length + 1) & ~1 : 0);

    private void WriteIfd(MemoryStream ms, List<Entry> entries, int offset)
    {
        var data = offset + 2 + (entries.Count * 12) + 4;
        var extra = new MemoryStream();
        ms.Write(U16((ushort)entries.Count));
        foreach (var e in entries)
        {
            ms.Write(U16(e.Tag));
            ms.Write(U16(e.Type));
            ms.Write(U32((uint)e.Count));
            if (e.Value.Length <= 4)
            {
                var inline = new byte[4];
                e.Value.CopyTo(inline, 0);
                ms.Write(inline);
            }
            else
            {
                ms.Write(U32((uint)(data + extra.Length)));
                extra.Write(e.Value);
                if (e.Value.Length % 2 == 1) extra.WriteByte(0);
            }
        }

        ms.Write(U32(0)); // no next IFD
        extra.WriteTo(ms);
    }

    private ExifWriter Add(List<Entry> ifd, ushort tag, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        return Raw(ifd, tag, AsciiType, bytes.Length, bytes);
    }

    private ExifWriter Raw(List<Entry> ifd, ushort tag, ushort type, int count, byte[] value)
    {
        ifd.RemoveAll(e => e.Tag == tag);
        ifd.Add(new Entry(tag, type, count, value));
        return this;
    }

    private byte[] Dms(double value)
    {
        var degrees = (uint)Math.Floor(value);
        var minutesFull = (value - degrees) * 60;
        var minutes = (uint)Math.Floor(minutesFull);
        var seconds = (uint)Math.Round((minutesFull - minutes) * 60 * 10000);
        return Rationals((degrees, 1), (minutes, 1), (seconds, 10000));
    }

    private byte[] U16(ushort v)
    {
        var b = new byte[2];
        if (BigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        WriteU32(b, v);
        return b;
    }

    private void WriteU32(Span<byte> b, uint v)
    {
        if (BigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
    }

    private sealed record Entry(ushort Tag, ushort Type, int Count, byte[] Value);
}
