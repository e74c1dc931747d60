using System.Net.Sockets;
using System.Text;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>
/// A minimal HTTP/1.1 client over a raw socket, for cases HttpClient cannot express: a body the server
/// refuses half-way (HttpClient reports the broken pipe instead of the server's answer), bytes a
/// well-behaved client would never send.
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, string Head, string Body);

    /// <summary>Sends one raw HTTP/1.1 request (<paramref name="head"/> then <paramref name="body"/>) and reads the answer.</summary>
    /// <param name="baseAddress">The server.</param>
    /// <param name="head">Request line and headers, without the final blank line.</param>
    /// <param name="body">The body bytes.</param>
    /// <param name="chunked">Send the body with chunked transfer encoding.</param>
    /// <param name="mustWriteWholeBody">Behave like Python's urllib and most simple clients: write the whole body before
    /// reading anything, and fail (IOException: broken pipe / connection reset) if the server stops reading first.</param>
    public static async Task<Response> SendAsync(Uri baseAddress, string head, byte[] body, bool chunked, bool mustWriteWholeBody = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        try
        {
            const int chunk = 64 * 1024;
            for (var offset = 0; offset < body.Length; offset += chunk)
            {
                var n = Math.Min(chunk, body.Length - offset);
                if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{n:X}\r\n"));
                await stream.WriteAsync(body.AsMemory(offset, n));
                if (chunked) await stream.WriteAsync("\r\n"u8.ToArray());
            }
            if (chunked) await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException) when (!mustWriteWholeBody)
        {
            // The server stopped reading (it refused the body); its answer is still waiting to be read.
        }

        using var reader = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                reader.Write(buffer, 0, read);
                if (LooksComplete(reader)) break;
            }
        }
        catch (IOException)
        {
        }

        var text = Encoding.UTF8.GetString(reader.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var responseHead = split >= 0 ? text[..split] : text;
        var responseBody = split >= 0 ? text[(split + 4)..] : string.Empty;
        if (responseHead.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) responseBody = Dechunk(responseBody);
        var status = int.Parse(responseHead.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Response(status, responseHead, responseBody);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(chunked[position..lineEnd].Split(';')[0].Trim(), 16);
            if (size == 0) break;
            result.Append(chunked, lineEnd + 2, Math.Min(size, chunked.Length - lineEnd - 2));
            position = lineEnd + 2 + size + 2;
        }
        return result.ToString();
    }

    private static bool LooksComplete(MemoryStream received)
    {
        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) return false;
        var head = text[..split];
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetByteCount(text[(split + 4)..]) >= length;
        }
        return head.Contains("chunked", StringComparison.OrdinalIgnoreCase) && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }
}
