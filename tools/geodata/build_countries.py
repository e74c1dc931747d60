#!/usr/bin/env python3
"""Builds src/Atlas.Infrastructure/Geolocation/countries.bin, the embedded polygons behind CountryLocator
(derive the ISO 3166-1 alpha-3 country of a latitude/longitude, fully offline).

Sources (npm packages; fetch with `npm pack`, then untar):
  * world-atlas 2.0.2        countries-50m.json - Natural Earth 4.1.0 admin-0 countries 1:50m (public domain),
                                                  TopoJSON by Mike Bostock (ISC). Feature ids are ISO 3166-1 numeric.
  * i18n-iso-countries 7.14.0 codes.json        - ISO 3166-1 alpha-2 / alpha-3 / numeric table (MIT).

Features without an ISO numeric id in world-atlas are mapped as follows (and printed when run):
  * Somaliland      -> SOM (ISO 3166 counts it as part of Somalia)
  * N. Cyprus       -> CYP (ISO 3166 counts it as part of Cyprus)
  * Kosovo          -> XKK (i18n-iso-countries' user-assigned code; not ISO, no geofence rule names it)
  * Indian Ocean Ter. -> CXR (Christmas Island, east of 100E) / CCK (Cocos (Keeling) Islands, west of 100E)
  * Siachen Glacier -> dropped (disputed between India and Pakistan; points there get no country)

Usage:
  cd /tmp && npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0
  mkdir world iso && tar xzf world-atlas-2.0.2.tgz -C world && tar xzf i18n-iso-countries-7.14.0.tgz -C iso
  python3 tools/geodata/build_countries.py /tmp/world/package/countries-50m.json \
      /tmp/iso/package/codes.json src/Atlas.Infrastructure/Geolocation/countries.bin

The topology is kept as it is in the TopoJSON (shared borders are stored once; the coordinates stay on the
file's quantisation grid, about 400 m x 190 m), so the output is loss-free with respect to world-atlas.
Format (little-endian), read by CountryIndex.cs:
  "CTRY" magic, byte version (1),
  4 float64: scale x, scale y, translate x, translate y (lon = x * sx + tx, lat = y * sy + ty),
  varint arc count, per arc: varint point count, then zigzag-varint (dx, dy) pairs (TopoJSON delta encoding),
  varint country count, per country: 3 ASCII bytes alpha-3, varint polygon count, per polygon: varint ring count
  (first ring the shell, the rest holes), per ring: varint arc count, zigzag-varint arc indices (~i = arc i reversed).
"""
import json
import sys

NO_ID = {"Somaliland": "SOM", "N. Cyprus": "CYP", "Kosovo": "XKK"}
DROPPED = {"Siachen Glacier"}


def main(countries_path, codes_path, out_path):
    with open(countries_path, encoding="utf-8") as f:
        world = json.load(f)
    with open(codes_path, encoding="utf-8") as f:
        codes = json.load(f)
    alpha3 = {numeric: a3 for _, a3, numeric, *_ in codes}
    tr = world["transform"]

    # Indian Ocean Ter. needs its polygons split; do it on decoded first-arc longitudes.
    def first_lon(poly):
        arc_index = poly[0][0]
        arc = world["arcs"][arc_index if arc_index >= 0 else ~arc_index]
        return arc[0][0] * tr["scale"][0] + tr["translate"][0]

    countries = {}  # alpha-3 -> list of polygons (list of rings, ring = list of arc indices)
    for g in world["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        if g["type"] == "Polygon":
            polys = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        if name in DROPPED:
            print(f"dropped: {name}")
            continue
        if name == "Indian Ocean Ter.":
            for p in polys:
                code = "CXR" if first_lon(p) > 100 else "CCK"
                countries.setdefault(code, []).append(p)
            print(f"mapped: {name} -> CXR/CCK by longitude")
            continue
        numeric = g.get("id")
        code = alpha3.get(numeric) if numeric else NO_ID.get(name)
        if code is None:
            sys.exit(f"no alpha-3 code for {name!r} (id {numeric!r})")
        if not numeric:
            print(f"mapped: {name} -> {code}")
        countries.setdefault(code, []).extend(polys)

    used = sorted({abs(i) if i >= 0 else ~i for polys in countries.values() for p in polys for r in p for i in r})
    # Keep only arcs that countries use (the "land" object shares them), renumbered.
    remap = {old: new for new, old in enumerate(used)}

    out = bytearray(b"CTRY")
    out.append(1)
    import struct
    out += struct.pack("<4d", tr["scale"][0], tr["scale"][1], tr["translate"][0], tr["translate"][1])

    def varint(v):
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return

    def zigzag(v):
        return (v << 1) ^ (v >> 63)

    varint(len(used))
    npts = 0
    for old in used:
        arc = world["arcs"][old]
        varint(len(arc))
        for dx, dy in arc:
            varint(zigzag(dx))
            varint(zigzag(dy))
        npts += len(arc)
    varint(len(countries))
    for code in sorted(countries):
        out += code.encode("ascii")
        polys = countries[code]
        varint(len(polys))
        for p in polys:
            varint(len(p))
            for ring in p:
                varint(len(ring))
                for i in ring:
                    varint(zigzag(remap[i] if i >= 0 else ~remap[~i]))
    with open(out_path, "wb") as f:
        f.write(out)
    print(f"{len(countries)} countries, {len(used)} arcs, {npts} points, {len(out)} bytes -> {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
