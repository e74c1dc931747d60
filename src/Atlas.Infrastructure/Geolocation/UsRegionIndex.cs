using System.Buffers.Binary;

namespace Atlas.Infrastructure.Geolocation;

/// <summary>
/// Immutable polygon index over <c>us-regions.bin</c> (built by tools/geodata/build_us_regions.py): rings of
/// US states/territories and of nearby foreign land, a bounding box per ring and per run of
/// <see cref="ChunkEdges"/> edges, and a 1-degree grid of ring ids. Boxes let point-in-polygon and distance
/// scans skip most of a long ring (Canada's mainland, Alaska's coast). Read-only after construction, so one
/// instance serves every thread.
/// </summary>
internal sealed class UsRegionIndex
{
    private const double KmPerDegree = 111.195;
    private const string ForeignCode = "XX";
    private const int ChunkEdges = 32;

    // Ring r has points [offsets[r], offsets[r + 1]) in xs/ys and edge chunks [chunkOffsets[r], chunkOffsets[r + 1]);
    // edge i of a ring runs from its point i to point i + 1 (the last one back to point 0).
    private readonly double[] _xs;
    private readonly double[] _ys;
    private readonly int[] _offsets;
    private readonly string?[] _codes; // null for foreign land
    private readonly int[] _regionOf; // rings of one region are contiguous; equal ids = same region
    private readonly Box[] _ringBoxes;
    private readonly int[] _chunkOffsets;
    private readonly Box[] _chunkBoxes;
    private readonly int[][] _cells; // 180 * 360 cells, row-major from (-90, -180); empty where no ring

    private UsRegionIndex(double[] xs, double[] ys, int[] offsets, string?[] codes)
    {
        _xs = xs;
        _ys = ys;
        _offsets = offsets;
        _codes = codes;
        var rings = codes.Length;
        _regionOf = new int[rings];
        _ringBoxes = new Box[rings];
        _chunkOffsets = new int[rings + 1];
        var chunks = new List<Box>();
        var lists = new List<int>?[180 * 360];
        for (var r = 0; r < rings; r++)
        {
            _regionOf[r] = r > 0 && codes[r] == codes[r - 1] ? _regionOf[r - 1] : r;
            var first = offsets[r];
            var n = offsets[r + 1] - first;
            _ringBoxes[r] = Box.Of(xs.AsSpan(first, n), ys.AsSpan(first, n));
            for (var e = 0; e < n; e += ChunkEdges)
            {
                var count = Math.Min(ChunkEdges, n - e);
                var box = Box.Of(xs.AsSpan(first + e, count), ys.AsSpan(first + e, count));
                var end = first + ((e + count) % n); // the last edge's far end
                chunks.Add(box.Including(xs[end], ys[end]));
            }

            _chunkOffsets[r + 1] = chunks.Count;
            var ringBox = _ringBoxes[r];
            for (var row = CellRow(ringBox.MinY); row <= CellRow(ringBox.MaxY); row++)
            {
                for (var lon = Math.Floor(ringBox.MinX); lon <= ringBox.MaxX; lon++)
                {
                    (lists[(row * 360) + CellColumn(lon)] ??= []).Add(r);
                }
            }
        }

        _chunkBoxes = [.. chunks];
        _cells = Array.ConvertAll(lists, l => l is null ? [] : l.ToArray());
    }

    public int RingCount => _codes.Length;

    public int PointCount => _xs.Length;

    /// <summary>The distinct US codes present in the data (foreign land excluded).</summary>
    public IReadOnlySet<string> RegionCodes => _codes.OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Parses the binary format described in build_us_regions.py.</summary>
    public static UsRegionIndex Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 7 || !data[..4].SequenceEqual("USRG"u8) || data[4] != 1)
        {
            throw new InvalidDataException("us-regions.bin: bad magic or version.");
        }

        int ringCount = BinaryPrimitives.ReadUInt16LittleEndian(data[5..]);
        var pos = 7;
        var codes = new string?[ringCount];
        var offsets = new int[ringCount + 1];
        var xs = new List<double>();
        var ys = new List<double>();
        for (var r = 0; r < ringCount; r++)
        {
            var code = System.Text.Encoding.ASCII.GetString(data.Slice(pos, 2));
            pos += 2;
            codes[r] = code == ForeignCode ? null : string.Intern(code);
            var count = (int)Varint.Read(data, ref pos, "us-regions.bin");
            long x = 0, y = 0;
            for (var i = 0; i < count; i++)
            {
                x += Varint.ZigZag(Varint.Read(data, ref pos, "us-regions.bin"));
                y += Varint.ZigZag(Varint.Read(data, ref pos, "us-regions.bin"));
                xs.Add(x / 1e5);
                ys.Add(y / 1e5);
            }

            offsets[r + 1] = xs.Count;
        }

        if (pos != data.Length)
        {
            throw new InvalidDataException("us-regions.bin: trailing bytes.");
        }

        return new UsRegionIndex([.. xs], [.. ys], offsets, codes);
    }

    /// <summary>
    /// The region containing the point: <c>found</c> is false when no ring contains it; otherwise
    /// <c>code</c> is the US code, or null for foreign land. US regions win where data overlaps.
    /// </summary>
    public (bool Found, string? Code) Containing(double lat, double lon)
    {
        var rings = _cells[(CellRow(lat) * 360) + CellColumn(lon)];
        var inForeign = false;
        var i = 0;
        while (i < rings.Length)
        {
            // Even-odd over all rings of one region (holes are rings); rings whose box misses the point
            // cross a ray from it an even number of times, so skipping them keeps the parity.
            var region = _regionOf[rings[i]];
            var inside = false;
            for (; i < rings.Length && _regionOf[rings[i]] == region; i++)
            {
                var r = rings[i];
                if (_ringBoxes[r].Contains(lat, lon))
                {
                    inside ^= RingContains(r, lat, lon);
                }
            }

            if (inside)
            {
                var code = _codes[region];
                if (code is not null)
                {
                    return (true, code);
                }

                inForeign = true;
            }
        }

        return (inForeign, null);
    }

    /// <summary>
    /// The ring edge nearest to the point within <paramref name="radiusKm"/> (local equirectangular distance,
    /// longitudes compared modulo 360): its code (null for foreign land), or found = false when none is that close.
    /// </summary>
    public (bool Found, string? Code) Nearest(double lat, double lon, double radiusKm)
    {
        var cosLat = Math.Cos(lat * Math.PI / 180);
        var dLat = radiusKm / KmPerDegree;
        var poleward = Math.Min(90, Math.Abs(lat) + dLat);
        var dLon = dLat / Math.Max(Math.Cos(poleward * Math.PI / 180), 1e-6);
        var columns = dLon >= 180 ? 360 : (int)(Math.Floor(lon + dLon) - Math.Floor(lon - dLon)) + 1;

        Span<bool> seen = RingCount <= 1024 ? stackalloc bool[RingCount] : new bool[RingCount];
        var best = radiusKm;
        var found = false;
        string? bestCode = null;
        for (var row = CellRow(lat - dLat); row <= CellRow(lat + dLat); row++)
        {
            for (var c = 0; c < columns; c++)
            {
                foreach (var r in _cells[(row * 360) + CellColumn(Math.Floor(lon - dLon) + c)])
                {
                    if (seen[r])
                    {
                        continue;
                    }

                    seen[r] = true;
                    if (_ringBoxes[r].DistanceKm(lat, lon, cosLat) > best)
                    {
                        continue;
                    }

                    var d = RingDistanceKm(r, lat, lon, cosLat, best);
                    if (d <= best)
                    {
                        best = d;
                        bestCode = _codes[r];
                        found = true;
                    }
                }
            }
        }

        return (found, bestCode);
    }

    private bool RingContains(int ring, double lat, double lon)
    {
        // Ray from the point towards +x; a chunk wholly above, below or left of the point cannot cross it.
        var first = _offsets[ring];
        var n = _offsets[ring + 1] - first;
        var inside = false;
        for (var c = _chunkOffsets[ring]; c < _chunkOffsets[ring + 1]; c++)
        {
            var box = _chunkBoxes[c];
            if (box.MinY > lat || box.MaxY <= lat || box.MaxX < lon)
            {
                continue;
            }

            var e = (c - _chunkOffsets[ring]) * ChunkEdges;
            for (var end = Math.Min(e + ChunkEdges, n); e < end; e++)
            {
                int i = first + e, j = first + ((e + 1) % n);
                double xi = _xs[i], yi = _ys[i], xj = _xs[j], yj = _ys[j];
                if ((yi > lat) != (yj > lat) && lon < ((xj - xi) * (lat - yi) / (yj - yi)) + xi)
                {
                    inside = !inside;
                }
            }
        }

        return inside;
    }

    // Distance to the ring's nearest edge; chunks whose box is beyond limitKm are skipped (then MaxValue).
    private double RingDistanceKm(int ring, double lat, double lon, double cosLat, double limitKm)
    {
        var first = _offsets[ring];
        var n = _offsets[ring + 1] - first;
        var bestSquared = double.MaxValue;
        var bestKm = double.MaxValue;
        for (var c = _chunkOffsets[ring]; c < _chunkOffsets[ring + 1]; c++)
        {
            if (_chunkBoxes[c].DistanceKm(lat, lon, cosLat) > Math.Min(limitKm, bestKm))
            {
                continue;
            }

            var e = (c - _chunkOffsets[ring]) * ChunkEdges;
            for (var end = Math.Min(e + ChunkEdges, n); e < end; e++)
            {
                int i = first + e, j = first + ((e + 1) % n);
                var d = SegmentDistanceSquared(
                    WrapDegrees(_xs[i] - lon) * cosLat, _ys[i] - lat, WrapDegrees(_xs[j] - lon) * cosLat, _ys[j] - lat);
                if (d < bestSquared)
                {
                    bestSquared = d;
                    bestKm = Math.Sqrt(d) * KmPerDegree;
                }
            }
        }

        return bestKm;
    }

    // Squared distance from the origin to segment p-q, in projected degrees.
    private static double SegmentDistanceSquared(double px, double py, double qx, double qy)
    {
        var dx = qx - px;
        var dy = qy - py;
        var lengthSquared = (dx * dx) + (dy * dy);
        var t = lengthSquared > 0 ? Math.Clamp(-((px * dx) + (py * dy)) / lengthSquared, 0, 1) : 0;
        var x = px + (t * dx);
        var y = py + (t * dy);
        return (x * x) + (y * y);
    }

    private static double WrapDegrees(double d) => d - (360 * Math.Round(d / 360));

    private static double WrapPositive(double d)
    {
        var w = d % 360;
        return w < 0 ? w + 360 : w;
    }

    private static int CellRow(double lat) => Math.Clamp((int)Math.Floor(lat) + 90, 0, 179);

    private static int CellColumn(double lon) => (int)WrapPositive(Math.Floor(lon) + 180);

    /// <summary>Longitude/latitude bounding box; longitudes of antimeridian copies may exceed +-180.</summary>
    private readonly record struct Box(double MinX, double MaxX, double MinY, double MaxY)
    {
        public static Box Of(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys)
        {
            var box = new Box(double.MaxValue, double.MinValue, double.MaxValue, double.MinValue);
            for (var i = 0; i < xs.Length; i++)
            {
                box = box.Including(xs[i], ys[i]);
            }

            return box;
        }

        public Box Including(double x, double y) =>
            new(Math.Min(MinX, x), Math.Max(MaxX, x), Math.Min(MinY, y), Math.Max(MaxY, y));

        public bool Contains(double lat, double lon) => lat >= MinY && lat <= MaxY && lon >= MinX && lon <= MaxX;

        /// <summary>Lower bound of the distance from the point to anything inside, going either way round.</summary>
        public double DistanceKm(double lat, double lon, double cosLat)
        {
            var dy = Math.Max(0, Math.Max(MinY - lat, lat - MaxY));
            var width = MaxX - MinX;
            var fromMin = WrapPositive(lon - MinX);
            var dx = width >= 360 || fromMin <= width ? 0 : Math.Min(fromMin - width, 360 - fromMin);
            return Math.Sqrt((dx * cosLat * dx * cosLat) + (dy * dy)) * KmPerDegree;
        }
    }
}
