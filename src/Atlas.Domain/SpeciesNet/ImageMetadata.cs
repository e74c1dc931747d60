namespace Atlas.Domain.SpeciesNet;

/// <summary>Metadata embedded in an image file (EXIF). Every part is optional.</summary>
/// <param name="Latitude">EXIF GPS latitude in decimal degrees (south negative), when present and valid.</param>
/// <param name="Longitude">EXIF GPS longitude in decimal degrees (west negative), when present and valid.</param>
/// <param name="CaptureTime">
/// EXIF <c>DateTimeOriginal</c> (else <c>DateTime</c>) as ISO 8601 local time, <c>yyyy-MM-ddTHH:mm:ss</c>, with the
/// EXIF offset (<c>OffsetTimeOriginal</c>) appended when the file records one (e.g. <c>+02:00</c>).
/// </param>
/// <param name="CameraMake">EXIF <c>Make</c>, trimmed.</param>
/// <param name="CameraModel">EXIF <c>Model</c>, trimmed.</param>
/// <param name="CameraSerial">EXIF <c>BodySerialNumber</c> (or a maker-note serial when one is readable), trimmed.</param>
public sealed record ImageMetadata(
    double? Latitude,
    double? Longitude,
    string? CaptureTime,
    string? CameraMake,
    string? CameraModel,
    string? CameraSerial)
{
    public static readonly ImageMetadata None = new(null, null, null, null, null, null);
}
