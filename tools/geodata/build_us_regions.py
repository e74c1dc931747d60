#!/usr/bin/env python3
"""Builds src/Atlas.Infrastructure/Geolocation/us-regions.bin, the embedded polygons behind
UsRegionLocator (spec 4.7: admin1 derivation for country == USA).

Sources (both ISC-licensed npm packages by Mike Bostock; fetch with `npm pack`, then untar):
  * us-atlas 3.0.1   states-10m.json     - US Census cartographic state boundaries 2017
                                           (50 states, DC, AS, GU, MP, PR, VI)
  * world-atlas 2.0.2 countries-50m.json - Natural Earth 4.1.0 admin-0 countries (public domain)
The US polygons give the answer; foreign polygons near US land (Canada, Mexico, Cuba, Bahamas,
Russia, BVI, Samoa...) let the locator say "not US" for a point across a border or closer to a
foreign coast, which is what the reference's nearest-place geocoder does.

Usage:
  cd /tmp && npm pack us-atlas@3.0.1 world-atlas@2.0.2
  mkdir us world && tar xzf us-atlas-3.0.1.tgz -C us && tar xzf world-atlas-2.0.2.tgz -C world
  python3 tools/geodata/build_us_regions.py /tmp/us/package/states-10m.json \
      /tmp/world/package/countries-50m.json src/Atlas.Infrastructure/Geolocation/us-regions.bin

Format (little-endian), read by UsRegionIndex.cs:
  "USRG" magic, byte version (1), uint16 ring count, then per ring:
  2 ASCII bytes region code ("XX" = foreign land), varint point count,
  points as zigzag-varint deltas of (lon, lat) in units of 1e-5 degree (first delta from 0,0).
A region is the even-odd union of its rings (holes are rings too).
"""
import json
import math
import struct
import sys

# Census state FIPS -> code the reference returns (states + DC by name table, territories by alpha-2).
FIPS_TO_CODE = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT", "10": "DE",
    "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN", "19": "IA",
    "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD", "25": "MA", "26": "MI", "27": "MN",
    "28": "MS", "29": "MO", "30": "MT", "31": "NE", "32": "NV", "33": "NH", "34": "NJ", "35": "NM",
    "36": "NY", "37": "NC", "38": "ND", "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI",
    "45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA",
    "54": "WV", "55": "WI", "56": "WY",
    "60": "AS", "66": "GU", "69": "MP", "72": "PR", "78": "VI",
}
# Natural Earth entities that are US soil (already covered, more precisely, by the Census file).
US_ISO_NUMERIC = {"840", "630", "850", "316", "016", "580", "581"}
FOREIGN = "XX"
NEAR_KM = 150.0  # keep a foreign polygon when one of its vertices is this close to a US vertex
SCALE = 100_000  # 1e-5 degree units


def decode_arcs(topo):
    tr = topo["transform"]
    sx, sy = tr["scale"]
    tx, ty = tr["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring_points(arcs, ring):
    pts = []
    for i in ring:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(arc if not pts else arc[1:])
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    return pts


def polygons(arcs, geom):
    if geom["type"] == "Polygon":
        return [[ring_points(arcs, r) for r in geom["arcs"]]]
    if geom["type"] == "MultiPolygon":
        return [[ring_points(arcs, r) for r in poly] for poly in geom["arcs"]]
    return []


def split_antimeridian(code, pts):
    """A ring that jumps across +-180 is unwrapped to continuous longitudes and emitted twice,
    shifted by 0 and -360 (or +360), so plain point-in-polygon tests on [-180, 180) work."""
    if all(abs(a[0] - b[0]) <= 180 for a, b in zip(pts, pts[1:] + pts[:1])):
        return [(code, pts)]
    unwrapped = [pts[0]]
    for lon, lat in pts[1:]:
        prev = unwrapped[-1][0]
        lon += 360 * round((prev - lon) / 360)
        unwrapped.append((lon, lat))
    if abs(unwrapped[0][0] - unwrapped[-1][0]) > 180:
        sys.exit(f"ring of {code} winds around the globe")
    shift = -360 if max(p[0] for p in unwrapped) > 180 else 360
    return [(code, unwrapped), (code, [(lon + shift, lat) for lon, lat in unwrapped])]


def km(a, b):
    lat = math.radians((a[1] + b[1]) / 2)
    dlon = (a[0] - b[0] + 540) % 360 - 180
    return 111.195 * math.hypot(dlon * math.cos(lat), a[1] - b[1])


def main(states_path, countries_path, out_path):
    with open(states_path, encoding="utf-8") as f:
        states = json.load(f)
    with open(countries_path, encoding="utf-8") as f:
        world = json.load(f)

    rings = []  # (code, points)
    us_arcs = decode_arcs(states)
    for g in states["objects"]["states"]["geometries"]:
        code = FIPS_TO_CODE[g["id"]]
        for poly in polygons(us_arcs, g):
            rings.extend((code, r) for r in poly)

    # 1-degree grid of US vertices for the "near US" test.
    grid = {}
    for _, pts in rings:
        for p in pts:
            grid.setdefault((math.floor(p[0]), math.floor(p[1])), []).append(p)

    def near_us(p):
        cx, cy = math.floor(p[0]), math.floor(p[1])
        reach = 2 if abs(p[1]) < 60 else 4
        for dx in range(-reach, reach + 1):
            for dy in (-2, -1, 0, 1, 2):
                for q in grid.get(((cx + dx + 180) % 360 - 180, cy + dy), ()):
                    if km(p, q) <= NEAR_KM:
                        return True
        return False

    world_arcs = decode_arcs(world)
    kept = []
    for g in world["objects"]["countries"]["geometries"]:
        if g.get("id") in US_ISO_NUMERIC:
            continue
        for poly in polygons(world_arcs, g):
            if any(near_us(p) for p in poly[0]):
                rings.extend((FOREIGN, r) for r in poly)
                kept.append(g["properties"]["name"])

    rings = [r for code, pts in rings for r in split_antimeridian(code, pts)]

    out = bytearray(b"USRG")
    out += struct.pack("<BH", 1, len(rings))

    def varint(v):
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return

    def zigzag(v):
        return (v << 1) ^ (v >> 63)

    npts = 0
    for code, pts in rings:
        out += code.encode("ascii")
        varint(len(pts))
        px = py = 0
        for lon, lat in pts:
            x, y = round(lon * SCALE), round(lat * SCALE)
            varint(zigzag(x - px))
            varint(zigzag(y - py))
            px, py = x, y
        npts += len(pts)
    with open(out_path, "wb") as f:
        f.write(out)
    print(f"{len(rings)} rings, {npts} points, {len(out)} bytes -> {out_path}")
    print("foreign polygons kept from:", ", ".join(sorted(set(kept))))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
