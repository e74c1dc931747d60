using System.Globalization;
using System.Runtime.InteropServices;
using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Metadata;

/// <summary>
/// <see cref="IImageMetadataReader"/> over MetadataExtractor: EXIF GPS position, capture time, camera make, model
/// and body serial number, from any format MetadataExtractor reads (JPEG APP1, TIFF, PNG eXIf, WebP EXIF...).
/// <list type="bullet">
/// <item>GPS: degrees/minutes/seconds rationals with the N/S and E/W references giving the signs. A position is
/// dropped when the receiver flagged it void (<c>GPSStatus = V</c>), when a reference or a rational is missing or
/// broken (zero denominator), or when it falls outside -90..90 / -180..180. <c>0, 0</c> is <em>kept</em> unless it
/// is flagged void: it is a legal position, and a point at sea derives no country anyway.</item>
/// <item>Capture time: <c>DateTimeOriginal</c> (with <c>OffsetTimeOriginal</c>), else IFD0 <c>DateTime</c> (with
/// <c>OffsetTime</c>), re-written as <c>yyyy-MM-ddTHH:mm:ss[+hh:mm]</c>; placeholder or malformed values
/// (<c>0000:00:00 00:00:00</c>, blanks) yield null.</item>
/// <item>Strings are trimmed, NULs and other control characters removed, and cut to <see cref="MaxTextLength"/>.</item>
/// </list>
/// Never throws: anything MetadataExtractor cannot parse gives the parts read so far, or <see cref="ImageMetadata.None"/>.
/// Work is bounded by the upload size limit (MetadataExtractor reads segments, not pixels; IFD loops are guarded).
/// Stateless and thread-safe.
/// </summary>
public sealed class ExifMetadataReader(ILogger<ExifMetadataReader>? logger = null) : IImageMetadataReader
{
    /// <summary>Longest make, model or serial returned; longer values are cut (they are labels, not payloads).</summary>
    public const int MaxTextLength = 128;

    private const int TagOffsetTime = 0x9010;
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagBodySerialNumber = 0xA431;

    private readonly ILogger _logger = logger ?? NullLogger<ExifMetadataReader>.Instance;

    /// <inheritdoc />
    public ImageMetadata Read(ReadOnlyMemory<byte> image)
    {
        if (image.IsEmpty)
        {
            return ImageMetadata.None;
        }

        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            using var stream = AsStream(image);
            directories = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Unknown file type, truncated or hostile metadata: the image simply has no readable metadata.
            _logger.LogDebug(ex, "No readable image metadata: {Reason}", ex.Message);
            return ImageMetadata.None;
        }

        try
        {
            return FromDirectories(directories);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug(ex, "Image metadata could not be interpreted: {Reason}", ex.Message);
            return ImageMetadata.None;
        }
    }

    internal static ImageMetadata FromDirectories(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var subIfd = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();

        var (latitude, longitude) = ReadPosition(gps);
        var captureTime = CaptureTime(subIfd, ExifDirectoryBase.TagDateTimeOriginal, TagOffsetTimeOriginal)
            ?? CaptureTime(ifd0, ExifDirectoryBase.TagDateTime, TagOffsetTime)
            ?? CaptureTime(subIfd, ExifDirectoryBase.TagDateTime, TagOffsetTime);
        var make = Text(ifd0, ExifDirectoryBase.TagMake);
        var model = Text(ifd0, ExifDirectoryBase.TagModel);
        var serial = Text(subIfd, TagBodySerialNumber) ?? Text(ifd0, TagBodySerialNumber);

        if (latitude is null && captureTime is null && make is null && model is null && serial is null)
        {
            return ImageMetadata.None;
        }

        return new ImageMetadata(latitude, longitude, captureTime, make, model, serial);
    }

    private static (double? Latitude, double? Longitude) ReadPosition(GpsDirectory? gps)
    {
        if (gps is null)
        {
            return (null, null);
        }

        var status = Text(gps, GpsDirectory.TagStatus);
        if (string.Equals(status, "V", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null); // "measurement void": the receiver had no fix
        }

        var latitude = Coordinate(gps, GpsDirectory.TagLatitude, GpsDirectory.TagLatitudeRef, "N", "S", 90);
        var longitude = Coordinate(gps, GpsDirectory.TagLongitude, GpsDirectory.TagLongitudeRef, "E", "W", 180);
        return latitude is null || longitude is null ? (null, null) : (latitude, longitude);
    }

    private static double? Coordinate(GpsDirectory gps, int valueTag, int refTag, string positive, string negative, double limit)
    {
        var reference = Text(gps, refTag);
        if (gps.GetObject(valueTag) is not Rational[] { Length: 3 } dms || reference is null)
        {
            return null;
        }

        double sign;
        if (string.Equals(reference, positive, StringComparison.OrdinalIgnoreCase))
        {
            sign = 1;
        }
        else if (string.Equals(reference, negative, StringComparison.OrdinalIgnoreCase))
        {
            sign = -1;
        }
        else
        {
            return null;
        }

        if (dms.Any(r => r.Denominator == 0))
        {
            return null;
        }

        var degrees = dms[0].ToDouble() + (dms[1].ToDouble() / 60) + (dms[2].ToDouble() / 3600);
        if (!double.IsFinite(degrees) || degrees < 0 || degrees > limit)
        {
            return null;
        }

        return Math.Round(sign * degrees, 7) + 0.0; // + 0.0 turns -0 into 0
    }

    private static string? CaptureTime(MetadataExtractor.Directory? directory, int timeTag, int offsetTag)
    {
        var raw = Text(directory, timeTag);
        if (raw is null
            || !DateTime.TryParseExact(raw, ["yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return null;
        }

        var text = time.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        var offset = Text(directory, offsetTag);
        return offset is { Length: 6 } && (offset[0] is '+' or '-') && char.IsAsciiDigit(offset[1])
            && char.IsAsciiDigit(offset[2]) && offset[3] == ':' && char.IsAsciiDigit(offset[4])
            && char.IsAsciiDigit(offset[5])
            ? text + offset
            : text;
    }

    private static string? Text(MetadataExtractor.Directory? directory, int tag)
    {
        if (directory is null || !directory.ContainsTag(tag))
        {
            return null;
        }

        string? raw;
        try
        {
            raw = directory.GetObject(tag) switch
            {
                StringValue s => s.ToString(System.Text.Encoding.UTF8),
                string s => s,
                byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                _ => directory.GetString(tag),
            };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }

        if (raw is null)
        {
            return null;
        }

        var cleaned = new string(raw.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (cleaned.Length > MaxTextLength)
        {
            cleaned = cleaned[..MaxTextLength].TrimEnd();
        }

        return cleaned.Length == 0 ? null : cleaned;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> image) =>
        MemoryMarshal.TryGetArray(image, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(image.ToArray(), writable: false);
}
