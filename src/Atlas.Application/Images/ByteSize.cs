using System.Globalization;

namespace Atlas.Application.Images;

/// <summary>Byte counts as people read them in limits: "5 MB (5,242,880 bytes)".</summary>
public static class ByteSize
{
    /// <summary>"5 MB (5,242,880 bytes)" for whole MiB/KiB, "1,234 bytes" otherwise (1 MB = 1,048,576 bytes, as the defaults are written).</summary>
    public static string Describe(long bytes)
    {
        var exact = bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes";
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
            return $"{(bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture)} MB ({exact})";
        if (bytes >= 1024 && bytes % 1024 == 0)
            return $"{(bytes / 1024).ToString(CultureInfo.InvariantCulture)} KB ({exact})";
        return exact;
    }
}
