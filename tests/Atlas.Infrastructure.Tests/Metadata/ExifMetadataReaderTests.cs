using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Metadata;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.Metadata;

public sealed class ExifMetadataReaderTests
{
    private static readonly ExifMetadataReader Reader = new();

    private static byte[] Jpeg() => TestImages.Encode(16, 12, (x, y) => ((byte)(x * 10), (byte)(y * 10), 90), SKEncodedImageFormat.Jpeg);

    private static ImageMetadata Read(byte[] bytes) => Reader.Read(bytes);

    [TestCase(true)]
    [TestCase(false)]
    public void Reads_gps_time_and_camera_in_either_byte_order(bool bigEndian)
    {
        var jpeg = new ExifWriter { BigEndian = bigEndian }
            .Make("RECONYX\0\0 ").Model("  HyperFire 2 ").DateTime("2024:01:01 00:00:00")
            .DateTimeOriginal("2023:06:15 05:42:17").OffsetTimeOriginal("-04:00").BodySerialNumber(" H2-000123\0")
            .Gps(41.46, -73.84)
            .InsertInto(Jpeg());

        var m = Read(jpeg);

        Assert.Multiple(() =>
        {
            Assert.That(m.Latitude, Is.EqualTo(41.46).Within(1e-6));
            Assert.That(m.Longitude, Is.EqualTo(-73.84).Within(1e-6));
            Assert.That(m.CaptureTime, Is.EqualTo("2023-06-15T05:42:17-04:00"));
            Assert.That(m.CameraMake, Is.EqualTo("RECONYX"));
            Assert.That(m.CameraModel, Is.EqualTo("HyperFire 2"));
            Assert.That(m.CameraSerial, Is.EqualTo("H2-000123"));
        });
    }

    [TestCase(-1.29, 36.82)]
    [TestCase(-33.8688, 151.2093)]
    [TestCase(65, -150)]
    [TestCase(0, 0)]
    public void Signs_come_from_the_references(double lat, double lon)
    {
        var m = Read(new ExifWriter().Gps(lat, lon).InsertInto(Jpeg()));
        Assert.That((m.Latitude, m.Longitude), Is.EqualTo((lat, lon)).Using<(double?, double?)>(
            (a, b) => Math.Abs(a.Item1!.Value - b.Item1!.Value) < 1e-6 && Math.Abs(a.Item2!.Value - b.Item2!.Value) < 1e-6));
    }

    [Test]
    public void Falls_back_to_DateTime_without_DateTimeOriginal_and_omits_a_missing_offset()
    {
        var m = Read(new ExifWriter().DateTime("2022:12:31 23:59:59").InsertInto(Jpeg()));
        Assert.That(m.CaptureTime, Is.EqualTo("2022-12-31T23:59:59"));
        Assert.That(m.Latitude, Is.Null);
    }

    [TestCase("0000:00:00 00:00:00")]
    [TestCase("    :  :     :  :  ")]
    [TestCase("yesterday")]
    public void Placeholder_times_are_null(string value)
    {
        var m = Read(new ExifWriter().DateTimeOriginal(value).Make("X").InsertInto(Jpeg()));
        Assert.That(m.CaptureTime, Is.Null);
        Assert.That(m.CameraMake, Is.EqualTo("X"));
    }

    [Test]
    public void A_malformed_offset_is_left_off()
    {
        var m = Read(new ExifWriter().DateTimeOriginal("2023:06:15 05:42:17").OffsetTimeOriginal("4h").InsertInto(Jpeg()));
        Assert.That(m.CaptureTime, Is.EqualTo("2023-06-15T05:42:17"));
    }

    [Test]
    public void A_position_flagged_void_is_dropped_but_the_rest_is_kept()
    {
        var m = Read(new ExifWriter().Gps(0, 0, status: "V").Model("M").InsertInto(Jpeg()));
        Assert.That(m.Latitude, Is.Null);
        Assert.That(m.Longitude, Is.Null);
        Assert.That(m.CameraModel, Is.EqualTo("M"));
    }

    [Test]
    public void A_position_flagged_active_is_kept()
    {
        var m = Read(new ExifWriter().Gps(48.2, 16.37, status: "A").InsertInto(Jpeg()));
        Assert.That(m.Latitude, Is.EqualTo(48.2).Within(1e-6));
    }

    [Test]
    public void Zero_denominator_bad_reference_or_out_of_range_drops_the_position()
    {
        var w = new ExifWriter().Gps(10, 10);
        var zeroDen = w.GpsRaw(0x0002, ExifWriter.RationalType, 3, w.Rationals((10, 0), (0, 1), (0, 1))).InsertInto(Jpeg());
        var badRef = new ExifWriter().Gps(10, 10).GpsAscii(0x0001, "Q").InsertInto(Jpeg());
        var w2 = new ExifWriter().Gps(10, 10);
        var outOfRange = w2.GpsRaw(0x0002, ExifWriter.RationalType, 3, w2.Rationals((95, 1), (0, 1), (0, 1))).InsertInto(Jpeg());
        var w3 = new ExifWriter().Gps(10, 10);
        var twoParts = w3.GpsRaw(0x0004, ExifWriter.RationalType, 2, w3.Rationals((10, 1), (0, 1))).InsertInto(Jpeg());

        foreach (var bytes in new[] { zeroDen, badRef, outOfRange, twoParts })
        {
            var m = Read(bytes);
            Assert.That((m.Latitude, m.Longitude), Is.EqualTo(((double?)null, (double?)null)));
        }
    }

    [Test]
    public void Long_strings_are_cut_and_control_characters_removed()
    {
        var m = Read(new ExifWriter().Make("Can\u0001on").Model(new string('x', 5000)).InsertInto(Jpeg()));
        Assert.That(m.CameraMake, Is.EqualTo("Canon"));
        Assert.That(m.CameraModel, Has.Length.EqualTo(ExifMetadataReader.MaxTextLength));
    }

    [Test]
    public void No_exif_gives_none()
    {
        Assert.That(Read(Jpeg()), Is.SameAs(ImageMetadata.None));
        Assert.That(Reader.Read(ReadOnlyMemory<byte>.Empty), Is.SameAs(ImageMetadata.None));
    }

    [Test]
    public void Corrupt_or_hostile_exif_never_throws()
    {
        var rng = new Random(8);
        var valid = new ExifWriter().Make("Make").Gps(41.46, -73.84).DateTimeOriginal("2023:06:15 05:42:17").BuildTiff();
        var cases = new List<byte[]>
        {
            ExifWriter.InsertApp1(Jpeg(), "Exif\0\0"u8.ToArray()),                                // empty TIFF
            ExifWriter.InsertApp1(Jpeg(), [.. "Exif\0\0"u8, .. "MM\0\x2A"u8, 0xFF, 0xFF, 0xFF, 0xF0]), // IFD far out of range
            ExifWriter.InsertApp1(Jpeg(), [.. "Exif\0\0"u8, .. "MM\0\x2A\0\0\0\x08"u8, 0xFF, 0xFF]),   // 65535 entries announced
            ExifWriter.InsertApp1(Jpeg(), [.. "Exif\0\0"u8, .. "MM\0\x2A\0\0\0\x08"u8, 0, 1, 0x87, 0x69, 0, 4, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0]), // sub-IFD pointing at itself
            ExifWriter.InsertApp1(Jpeg(), [.. "Exif\0\0"u8, .. valid.AsSpan(0, valid.Length / 2)]), // truncated
            new byte[] { 0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, (byte)'E', (byte)'x' },                          // segment longer than file
            new byte[] { 0xFF, 0xD8 },
            "not an image at all"u8.ToArray(),
        };
        for (var i = 0; i < 200; i++)
        {
            var fuzzed = (byte[])valid.Clone();
            for (var k = 0; k < 6; k++) fuzzed[rng.Next(fuzzed.Length)] = (byte)rng.Next(256);
            cases.Add(ExifWriter.InsertApp1(Jpeg(), [.. "Exif\0\0"u8, .. fuzzed]));
        }

        foreach (var bytes in cases)
        {
            Assert.DoesNotThrow(() => Reader.Read(bytes));
        }

        Assert.That(Read(cases[4]).Latitude, Is.Null, "a truncated GPS IFD gives no position");
    }

    [Test]
    public void Reads_exif_from_a_png_eXIf_chunk_too()
    {
        // Skia PNGs have no EXIF; the reader is format-agnostic, so an eXIf chunk is enough.
        var png = TestImages.Png(4, 4, (_, _) => (1, 2, 3, 255));
        var tiff = new ExifWriter().Make("PngCam").BuildTiff();
        var withExif = InsertPngChunk(png, "eXIf", tiff);
        Assert.That(Read(withExif).CameraMake, Is.EqualTo("PngCam"));
    }

    private static byte[] InsertPngChunk(byte[] png, string type, byte[] data)
    {
        // After the signature (8) and IHDR (8 + 13 + 4 = 25 bytes).
        using var ms = new MemoryStream();
        ms.Write(png, 0, 33);
        var len = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        ms.Write(len);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        ms.Write(typed);
        var crc = 0xFFFFFFFFu;
        foreach (var b in typed)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(len, ~crc);
        ms.Write(len);
        ms.Write(png, 33, png.Length - 33);
        return ms.ToArray();
    }
}
