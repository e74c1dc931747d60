using System.Buffers.Binary;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.Operation.Distance;

namespace Atlas.Infrastructure.Geolocation;

/// <summary>
/// Immutable country polygon index over <c>countries.bin</c> (built by tools/geodata/build_countries.py from the
/// world-atlas TopoJSON): one NetTopologySuite polygon per country part, an <see cref="STRtree{T}"/> over their
/// envelopes and an <see cref="IndexedPointInAreaLocator"/> per polygon. Every lazy NTS index is built in the
/// constructor, so lookups afterwards only read and one instance serves every thread.
/// Polygons that cross the antimeridian are unwrapped and stored twice (shifted by 360 degrees).
/// </summary>
internal sealed class CountryIndex
{
    private const double KmPerDegree = 111.195;

    private readonly STRtree<Part> _tree = new();
    private readonly GeometryFactory _factory = new();

    private CountryIndex(List<(string Code, List<List<Coordinate[]>> Polygons)> countries)
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (code, polygons) in countries)
        {
            codes.Add(code);
            foreach (var rings in polygons)
            {
                foreach (var polygon in Unwrapped(rings))
                {
                    var part = new Part(code, polygon, new IndexedPointInAreaLocator(polygon));
                    part.Locator.Locate(polygon.EnvelopeInternal.Centre); // builds the locator's lazy index now
                    _tree.Insert(polygon.EnvelopeInternal, part);
                    PartCount++;
                }
            }
        }

        _tree.Build();
        Codes = codes;
    }

    public IReadOnlySet<string> Codes { get; }

    public int PartCount { get; }

    /// <summary>Parses the binary format described in build_countries.py.</summary>
    public static CountryIndex Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 37 || !data[..4].SequenceEqual("CTRY"u8) || data[4] != 1)
        {
            throw new InvalidDataException("countries.bin: bad magic or version.");
        }

        var sx = BinaryPrimitives.ReadDoubleLittleEndian(data[5..]);
        var sy = BinaryPrimitives.ReadDoubleLittleEndian(data[13..]);
        var tx = BinaryPrimitives.ReadDoubleLittleEndian(data[21..]);
        var ty = BinaryPrimitives.ReadDoubleLittleEndian(data[29..]);
        var pos = 37;
        var arcs = new Coordinate[(int)Varint.Read(data, ref pos, "countries.bin")][];
        for (var a = 0; a < arcs.Length; a++)
        {
            var points = new Coordinate[(int)Varint.Read(data, ref pos, "countries.bin")];
            long x = 0, y = 0;
            for (var i = 0; i < points.Length; i++)
            {
                x += Varint.ZigZag(Varint.Read(data, ref pos, "countries.bin"));
                y += Varint.ZigZag(Varint.Read(data, ref pos, "countries.bin"));
                points[i] = new Coordinate((x * sx) + tx, (y * sy) + ty);
            }

            arcs[a] = points;
        }

        var countries = new List<(string, List<List<Coordinate[]>>)>();
        var countryCount = (int)Varint.Read(data, ref pos, "countries.bin");
        for (var c = 0; c < countryCount; c++)
        {
            var code = System.Text.Encoding.ASCII.GetString(data.Slice(pos, 3));
            pos += 3;
            var polygons = new List<List<Coordinate[]>>();
            var polygonCount = (int)Varint.Read(data, ref pos, "countries.bin");
            for (var p = 0; p < polygonCount; p++)
            {
                var rings = new List<Coordinate[]>();
                var ringCount = (int)Varint.Read(data, ref pos, "countries.bin");
                for (var r = 0; r < ringCount; r++)
                {
                    var ring = new List<Coordinate>();
                    var arcCount = (int)Varint.Read(data, ref pos, "countries.bin");
                    for (var k = 0; k < arcCount; k++)
                    {
                        var index = Varint.ZigZag(Varint.Read(data, ref pos, "countries.bin"));
                        var arc = index >= 0 ? arcs[index] : arcs[~index].Reverse().ToArray();
                        ring.AddRange(ring.Count == 0 ? arc : arc.Skip(1));
                    }

                    if (ring.Count >= 3)
                    {
                        if (!ring[0].Equals2D(ring[^1]))
                        {
                            ring.Add(ring[0].Copy());
                        }

                        if (ring.Count >= 4)
                        {
                            rings.Add([.. ring]);
                        }
                    }
                }

                if (rings.Count > 0)
                {
                    polygons.Add(rings);
                }
            }

            countries.Add((string.Intern(code), polygons));
        }

        if (pos != data.Length)
        {
            throw new InvalidDataException("countries.bin: trailing bytes.");
        }

        return new CountryIndex(countries);
    }

    /// <summary>The code of the country whose polygon contains the point (longitude in [-180, 180)), or null.</summary>
    public string? Containing(double lat, double lon)
    {
        var point = new Coordinate(lon, lat);
        foreach (var part in _tree.Query(new Envelope(point)))
        {
            if (part.Locator.Locate(point) != Location.Exterior)
            {
                return part.Code;
            }
        }

        return null;
    }

    /// <summary>
    /// The code of the country with land nearest to the point within <paramref name="radiusKm"/> (local
    /// equirectangular distance to the nearest boundary point), or null when none is that close.
    /// </summary>
    public string? Nearest(double lat, double lon, double radiusKm)
    {
        var dLat = radiusKm / KmPerDegree;
        var cosLat = Math.Max(Math.Cos(lat * Math.PI / 180), 1e-6);
        var dLon = Math.Min(180, dLat / Math.Max(Math.Cos(Math.Min(90, Math.Abs(lat) + dLat) * Math.PI / 180), 1e-6));
        var search = new Envelope(lon - dLon, lon + dLon, lat - dLat, lat + dLat);
        var point = _factory.CreatePoint(new Coordinate(lon, lat));
        string? best = null;
        var bestKm = radiusKm;
        foreach (var part in _tree.Query(search))
        {
            var nearest = DistanceOp.NearestPoints(part.Polygon, point)[0];
            var km = Math.Sqrt(Math.Pow((nearest.X - lon) * cosLat, 2) + Math.Pow(nearest.Y - lat, 2)) * KmPerDegree;
            if (km <= bestKm)
            {
                bestKm = km;
                best = part.Code;
            }
        }

        return best;
    }

    private IEnumerable<Polygon> Unwrapped(List<Coordinate[]> rings)
    {
        // A ring with a jump of more than 180 degrees between neighbours crosses the antimeridian: make its
        // longitudes continuous, and emit the polygon a second time shifted back into range. A ring that winds
        // around the globe (Antarctica's coast; world-atlas stores it as a spherical polygon whose other ring is a
        // zero-area line along -89.999) becomes a planar shell closed along the pole.
        var unwrapped = rings.Select(r => (Ring: Unwrap(r, out var winds), Winds: winds)).ToList();
        Coordinate[] shell;
        IEnumerable<Coordinate[]> holes;
        var winding = unwrapped.FirstOrDefault(r => r.Winds && LatitudeSpan(r.Ring) > 1e-6).Ring;
        if (winding is not null)
        {
            var pole = winding.Average(c => c.Y) < 0 ? -90.0 : 90.0;
            shell = [.. winding, new Coordinate(winding[^1].X, pole), new Coordinate(winding[0].X, pole), winding[0].Copy()];
            holes = unwrapped.Where(r => !r.Winds && LatitudeSpan(r.Ring) > 1e-6).Select(r => r.Ring);
        }
        else
        {
            shell = unwrapped[0].Ring;
            holes = unwrapped.Skip(1).Where(r => !r.Winds).Select(r => r.Ring);
        }

        var polygon = _factory.CreatePolygon(
            _factory.CreateLinearRing(shell), [.. holes.Select(h => _factory.CreateLinearRing(h))]);
        yield return polygon;
        var env = polygon.EnvelopeInternal;
        if (env.MaxX > 180 || env.MinX < -180)
        {
            var shift = env.MaxX > 180 ? -360 : 360;
            var copy = (Polygon)polygon.Copy();
            copy.Apply(new ShiftFilter(shift));
            copy.GeometryChanged();
            yield return copy;
        }
    }

    private static double LatitudeSpan(Coordinate[] ring) => ring.Max(c => c.Y) - ring.Min(c => c.Y);

    /// <summary>Continuous longitudes; <paramref name="winds"/> when the ring goes once around the globe (then the
    /// result is open: its last point is its first shifted by 360 degrees).</summary>
    private static Coordinate[] Unwrap(Coordinate[] ring, out bool winds)
    {
        var result = new Coordinate[ring.Length];
        result[0] = ring[0].Copy();
        for (var i = 1; i < ring.Length; i++)
        {
            var x = ring[i].X;
            x += 360 * Math.Round((result[i - 1].X - x) / 360);
            result[i] = new Coordinate(x, ring[i].Y);
        }

        winds = !result[0].Equals2D(result[^1]);
        return result;
    }

    private sealed record Part(string Code, Polygon Polygon, IndexedPointInAreaLocator Locator);

    private sealed class ShiftFilter(double shift) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i) => seq.SetX(i, seq.GetX(i) + shift);
    }
}
