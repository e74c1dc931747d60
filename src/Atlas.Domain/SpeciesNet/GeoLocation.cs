namespace Atlas.Domain.SpeciesNet;

/// <summary>Where an image was taken, as SpeciesNet instances describe it. Every part is optional.</summary>
/// <param name="Country">ISO 3166-1 alpha-3 code, upper case (e.g. <c>USA</c>).</param>
/// <param name="Admin1Region">First-level region; for the USA the 2-letter state code (e.g. <c>NY</c>).</param>
/// <param name="Latitude">Decimal degrees, -90..90.</param>
/// <param name="Longitude">Decimal degrees, -180..180.</param>
public sealed record GeoLocation(string? Country, string? Admin1Region, double? Latitude, double? Longitude)
{
    public static readonly GeoLocation None = new(null, null, null, null);
}
