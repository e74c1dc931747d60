namespace Atlas.Domain.Abstractions;

/// <summary>
/// Offline reverse geocoder for US soil, the port behind SpeciesNet's admin1 derivation (spec 4.7).
/// Implemented in Infrastructure with embedded boundary data; must be thread-safe and fast.
/// </summary>
public interface IUsRegionLocator
{
    /// <summary>
    /// The 2-letter code of the US state, <c>DC</c>, or US territory (<c>AS</c>, <c>GU</c>, <c>MP</c>,
    /// <c>PR</c>, <c>UM</c>, <c>VI</c>) at or nearest to the point, or <c>null</c> when the point is on or
    /// nearer to foreign land, far out at sea, or not a valid coordinate.
    /// </summary>
    /// <param name="latitude">Decimal degrees, -90..90.</param>
    /// <param name="longitude">Decimal degrees; any finite value (wrapped into -180..180).</param>
    string? Locate(double latitude, double longitude);
}
