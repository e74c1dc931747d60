namespace Atlas.Infrastructure.Geolocation;

/// <summary>
/// The LEB128 varints and zig-zag deltas both embedded boundary files (<c>us-regions.bin</c>, <c>countries.bin</c>)
/// are written with by tools/geodata.
/// </summary>
internal static class Varint
{
    /// <summary>Reads one unsigned LEB128 varint at <paramref name="pos"/> and moves past it.</summary>
    /// <param name="data">The whole embedded file.</param>
    /// <param name="pos">The read position, advanced past the varint.</param>
    /// <param name="source">The file name, for the error when the data is corrupt.</param>
    public static ulong Read(ReadOnlySpan<byte> data, ref int pos, string source)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException($"{source}: varint too long.");
    }

    /// <summary>Decodes a zig-zag encoded signed value.</summary>
    public static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);
}
