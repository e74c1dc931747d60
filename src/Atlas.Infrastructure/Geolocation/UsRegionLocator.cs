using Atlas.Domain.Abstractions;

namespace Atlas.Infrastructure.Geolocation;

/// <summary>
/// <see cref="IUsRegionLocator"/> over embedded US Census state/territory boundaries (us-atlas 3.0.1) plus
/// nearby foreign land (world-atlas 2.0.2, Natural Earth 50m). The reference asks a nearest-populated-place
/// geocoder; polygons answer the same question for points on land and, for points just off a coast or in a
/// border gap, the nearest land within <see cref="SnapRadiusKm"/> decides (US code, or null if foreign).
/// Data is parsed once, lazily, on first use; lookups are lock-free and allocation-free.
/// </summary>
public sealed class UsRegionLocator : IUsRegionLocator
{
    /// <summary>
    /// How far off any land a point may be and still be given the nearest region (coastal waters, lakes,
    /// rounding of boundary data). The reference has no limit; beyond this we prefer "unknown" (null).
    /// </summary>
    public const double SnapRadiusKm = 50;

    private const string ResourceName = "Atlas.Infrastructure.Geolocation.us-regions.bin";

    private static readonly Lazy<UsRegionIndex> SharedIndex = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    internal static UsRegionIndex Index => SharedIndex.Value;

    /// <inheritdoc />
    public string? Locate(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || !double.IsFinite(longitude) || latitude is < -90 or > 90)
        {
            return null;
        }

        var lon = longitude - (360 * Math.Floor((longitude + 180) / 360)); // [-180, 180)
        var index = Index;
        var (inside, code) = index.Containing(latitude, lon);
        return inside ? code : index.Nearest(latitude, lon, SnapRadiusKm).Code;
    }

    private static UsRegionIndex Load()
    {
        using var stream = typeof(UsRegionLocator).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return UsRegionIndex.Parse(memory.GetBuffer().AsSpan(0, (int)memory.Length));
    }
}
