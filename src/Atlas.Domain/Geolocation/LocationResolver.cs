using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Geolocation;

/// <summary>
/// Works out the location the ensemble's geofence sees (spec 4.7, reference <c>find_admin1_region</c>):
/// a given country + admin1 pair is kept; otherwise admin1 is derived from latitude/longitude, and only for
/// country <c>USA</c>; in every other case admin1 becomes <c>null</c> (so an admin1 without a country is dropped).
/// </summary>
public sealed class LocationResolver(IUsRegionLocator usRegionLocator)
{
    /// <summary>Countries whose admin1 the reference can derive: the USA and its territories (ISO alpha-3).</summary>
    public static IReadOnlySet<string> Admin1SupportedCountries { get; } =
        new HashSet<string>(["USA", "ASM", "GUM", "MNP", "PRI", "UMI", "VIR"], StringComparer.Ordinal);

    /// <summary>
    /// The effective location: country, latitude and longitude echoed, admin1 kept or derived
    /// as <see cref="FindAdmin1Region"/> says.
    /// </summary>
    public GeoLocation Resolve(GeoLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var admin1 = FindAdmin1Region(location);
        return string.Equals(admin1, location.Admin1Region, StringComparison.Ordinal)
            ? location
            : location with { Admin1Region = admin1 };
    }

    /// <summary>
    /// The admin1 region for <paramref name="location"/>. Territories (e.g. <c>PRI</c>) get <c>null</c>, as in the
    /// reference: their country code already says everything the geofence uses. Only <c>USA</c> with both
    /// coordinates asks the locator, which answers a state (<c>NY</c>), <c>DC</c>, a territory (<c>PR</c>) or null.
    /// </summary>
    public string? FindAdmin1Region(GeoLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var country = location.Country;
        if (!string.IsNullOrEmpty(country) && !string.IsNullOrEmpty(location.Admin1Region))
        {
            return location.Admin1Region;
        }

        if (country is null || !Admin1SupportedCountries.Contains(country)
            || location.Latitude is not { } latitude || location.Longitude is not { } longitude)
        {
            return null;
        }

        return country == "USA" ? usRegionLocator.Locate(latitude, longitude) : null;
    }

    /// <summary>
    /// Applies run-wide <c>--country</c>/<c>--admin1_region</c> overrides to one instance (reference
    /// <c>prepare_instances_dict</c>): nothing happens without a country; with one, the country replaces the
    /// instance's, and the admin1 replaces the instance's only when it is given too. Coordinates are kept.
    /// </summary>
    public static GeoLocation ApplyOverride(GeoLocation instance, string? country, string? admin1Region)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (string.IsNullOrEmpty(country))
        {
            return instance;
        }

        return instance with
        {
            Country = country,
            Admin1Region = string.IsNullOrEmpty(admin1Region) ? instance.Admin1Region : admin1Region,
        };
    }
}
