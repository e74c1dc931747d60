namespace Atlas.Domain.Abstractions;

/// <summary>
/// Offline reverse geocoder for countries: the port behind "location from coordinates" (no network call).
/// Implemented in Infrastructure with public boundary data shipped in the assembly; must be thread-safe and fast.
/// </summary>
public interface ICountryLocator
{
    /// <summary>
    /// The ISO 3166-1 alpha-3 code (upper case, e.g. <c>KEN</c>) of the country whose land contains the point,
    /// or <c>null</c> for a point at sea, on land no country claims, or an invalid coordinate.
    /// </summary>
    /// <param name="latitude">Decimal degrees, -90..90.</param>
    /// <param name="longitude">Decimal degrees, -180..180.</param>
    string? Locate(double latitude, double longitude);
}
