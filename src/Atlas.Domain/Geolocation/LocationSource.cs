namespace Atlas.Domain.Geolocation;

/// <summary>Where an image's effective location came from (the <c>location_source</c> field of the /v1 routes).</summary>
public enum LocationSource
{
    /// <summary>No location: neither the request nor the image's EXIF gave one.</summary>
    None,

    /// <summary>The request gave at least one location field (country, admin1 region or coordinates); EXIF may fill the rest.</summary>
    Request,

    /// <summary>The request gave nothing; the coordinates are the image's EXIF GPS position (country derived from them).</summary>
    Exif,
}

/// <summary>Wire names of <see cref="LocationSource"/>: <c>none</c>, <c>request</c>, <c>exif</c>.</summary>
public static class LocationSources
{
    public const string None = "none";
    public const string Request = "request";
    public const string Exif = "exif";

    public static string ToWire(this LocationSource source) => source switch
    {
        LocationSource.Request => Request,
        LocationSource.Exif => Exif,
        _ => None,
    };
}
