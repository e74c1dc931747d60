using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Geolocation;

/// <summary>The location the ensemble should use for one image, and where it came from.</summary>
/// <param name="Location">Effective location (country, admin1, coordinates); <see cref="GeoLocation.None"/> when unknown.</param>
/// <param name="Source">Where it came from.</param>
/// <param name="CoordinatesFromExif">True when the coordinates (and so any derived country/admin1) are the EXIF position.</param>
public sealed record ResolvedLocation(GeoLocation Location, LocationSource Source, bool CoordinatesFromExif)
{
    public static readonly ResolvedLocation None = new(GeoLocation.None, LocationSource.None, false);
}

/// <summary>
/// Combines a request's explicit location with the image's EXIF position (used by the /v1 routes; the legacy
/// <c>/uploadfile/</c> contract keeps <see cref="LocationResolver"/> alone):
/// <list type="number">
/// <item>coordinates: the request's pair when given, else the EXIF GPS pair, else none;</item>
/// <item>country: the request's when given, else derived from the coordinates with <see cref="ICountryLocator"/>
/// (null at sea or with no coordinates);</item>
/// <item>admin1: the request's when given with a country (explicit or derived), else derived by
/// <see cref="LocationResolver"/> (the USA from coordinates; every other country null);</item>
/// <item>source: <see cref="LocationSource.Request"/> when the request gave any field,
/// <see cref="LocationSource.Exif"/> when everything came from EXIF, <see cref="LocationSource.None"/> when there is
/// no effective location at all (an EXIF position at sea still counts as <c>exif</c>: the coordinates are known).</item>
/// </list>
/// Pure and thread-safe (the locators are).
/// </summary>
public sealed class ImageLocationResolver(ICountryLocator countryLocator, LocationResolver locationResolver)
{
    /// <summary>Resolves one image's location. Both arguments may be null (nothing given / no metadata).</summary>
    public ResolvedLocation Resolve(GeoLocation? request, ImageMetadata? metadata)
    {
        request ??= GeoLocation.None;
        var requestGaveAny = !string.IsNullOrEmpty(request.Country) || !string.IsNullOrEmpty(request.Admin1Region)
            || request.Latitude is not null || request.Longitude is not null;

        double? latitude = null, longitude = null;
        var fromExif = false;
        if (request.Latitude is { } rlat && request.Longitude is { } rlon)
        {
            (latitude, longitude) = (rlat, rlon);
        }
        else if (metadata is { Latitude: { } elat, Longitude: { } elon })
        {
            (latitude, longitude) = (elat, elon);
            fromExif = true;
        }

        var country = string.IsNullOrEmpty(request.Country)
            ? (latitude is { } lat && longitude is { } lon ? countryLocator.Locate(lat, lon) : null)
            : request.Country;
        var admin1 = string.IsNullOrEmpty(request.Admin1Region) ? null : request.Admin1Region;

        var combined = new GeoLocation(country, admin1, latitude, longitude);
        var effective = locationResolver.Resolve(combined);
        if (effective == GeoLocation.None)
        {
            return ResolvedLocation.None; // e.g. an admin1 region alone, which LocationResolver drops
        }

        var source = requestGaveAny ? LocationSource.Request : fromExif ? LocationSource.Exif : LocationSource.None;
        return new ResolvedLocation(effective, source, fromExif);
    }
}
