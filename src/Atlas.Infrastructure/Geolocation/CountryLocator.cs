using Atlas.Domain.Abstractions;

namespace Atlas.Infrastructure.Geolocation;

/// <summary>
/// <see cref="ICountryLocator"/> over embedded Natural Earth 1:50m admin-0 boundaries (world-atlas 2.0.2, ISO
/// numeric ids mapped to alpha-3 with i18n-iso-countries 7.14.0; see tools/geodata/build_countries.py and NOTICE).
/// A point inside a country's polygon gets that country. A point outside every polygon gets the country with the
/// nearest boundary within <see cref="CoastToleranceKm"/>: 1:50m coastlines are generalised (a rocky headland or
/// a fjord can be kilometres off), and camera traps stand on beaches and river mouths. Farther out is "at sea":
/// null. Data is parsed and indexed once, lazily, on first use; lookups are lock-free.
/// </summary>
public sealed class CountryLocator : ICountryLocator
{
    /// <summary>
    /// How far outside every polygon a point may be and still get the nearest country (coastal error of 1:50m data).
    /// Small enough that open sea stays null, large enough for generalised coasts and small islands.
    /// </summary>
    public const double CoastToleranceKm = 10;

    private const string ResourceName = "Atlas.Infrastructure.Geolocation.countries.bin";

    private static readonly Lazy<CountryIndex> SharedIndex = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static CountryIndex Index => SharedIndex.Value;

    /// <inheritdoc />
    public string? Locate(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || !double.IsFinite(longitude) || latitude is < -90 or > 90
            || longitude is < -180 or > 180)
        {
            return null;
        }

        var lon = longitude >= 180 ? longitude - 360 : longitude; // [-180, 180)
        var index = Index;
        return index.Containing(latitude, lon) ?? index.Nearest(latitude, lon, CoastToleranceKm);
    }

    private static CountryIndex Load()
    {
        using var stream = typeof(CountryLocator).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return CountryIndex.Parse(memory.GetBuffer().AsSpan(0, (int)memory.Length));
    }
}
