using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Moq;

namespace Atlas.Api.Tests.ErrorHandling;

/// <summary>
/// Every path that answers with a ProblemDetails (exception handler, status-code pages, the upload intake filter,
/// MVC model binding, trusted hosts, API keys, rate limiter) checked byte for byte: status, content type, the
/// headers that go with the error, and the body with its traceId masked.
/// </summary>
[TestFixture]
public sealed partial class ProblemShapeTests
{
    private static readonly byte[] Jpeg = SecurityKit.Jpeg;

    private static async Task<string> ShapeAsync(HttpResponseMessage response)
    {
        var body = TraceId().Replace(await response.Content.ReadAsStringAsync(), "\"traceId\":\"*\"");
        var extra = new List<string>();
        foreach (var name in new[] { "Retry-After", "WWW-Authenticate", "Allow" })
        {
            if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)) extra.Add($"{name}: {string.Join(",", values)}");
        }
        var headers = extra.Count > 0 ? " " + string.Join(" | ", extra) : string.Empty;
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType}{headers}\n{body}";
    }

    [GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial Regex TraceId();

    private static async Task<string> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content = null, Action<HttpRequestMessage>? edit = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        edit?.Invoke(request);
        using var response = await client.SendAsync(request);
        return await ShapeAsync(response);
    }

    [Test]
    public async Task DefaultHost_EveryPath_ShapeUnchanged()
    {
        await using var factory = new AtlasApiFactory().AnswerAll();
        using var client = factory.CreateHttpClient();
        var shapes = new List<string>
        {
            await SendAsync(client, HttpMethod.Get, "/no-such-route"),
            await SendAsync(client, HttpMethod.Get, "/uploadfile/"),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File("not an image"u8.ToArray(), "x.txt", "text/plain")),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", new StringContent("{}", Encoding.UTF8, "application/json")),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", Broken()),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(new byte[6 * 1024 * 1024])),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg).With("country", "XYZ")),
            await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg).With("latitude", "abc").With("longitude", "10")),
            await SendAsync(client, HttpMethod.Post, "/v1/ensemble", new StringContent("{", Encoding.UTF8, "application/json")),
        };
        factory.Classifier.Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new ServiceUnavailableException("The model is busy.", TimeSpan.FromSeconds(2.5)));
        shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg)));
        factory.Classifier.Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("secret"));
        shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg)));

        Assert.That(shapes, Is.EqualTo(Expected.Default), string.Join("\n\n", shapes));
    }

    [Test]
    public async Task SecurityPaths_ShapeUnchanged()
    {
        var shapes = new List<string>();
        await using (var hosts = new AtlasApiFactory(new Dictionary<string, string?> { ["AllowedHosts"] = "api.example.org" }))
        {
            using var client = hosts.CreateHttpClient();
            shapes.Add(await SendAsync(client, HttpMethod.Get, "/"));
        }
        await using (var keys = new AtlasApiFactory(new Dictionary<string, string?>
        {
            ["Security:ApiKeys"] = SecurityKit.GoodKey,
            ["Security:RateLimitRequests"] = "3",
            ["Security:RateLimitWindowSeconds"] = "120",
        }).AnswerAll())
        {
            using var client = keys.CreateHttpClient();
            shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg)));
            shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg), r => r.Headers.Add("X-API-Key", SecurityKit.OtherKey)));
            shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg), r => r.Headers.Add("X-API-Key", SecurityKit.GoodKey)));
            shapes.Add(await SendAsync(client, HttpMethod.Post, "/uploadfile/", Multipart.File(Jpeg), r => r.Headers.Add("X-API-Key", SecurityKit.GoodKey)));
        }

        Assert.That(shapes, Is.EqualTo(Expected.Security), string.Join("\n\n", shapes));
    }

    private static ByteArrayContent Broken()
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF truncated"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XYZ");
        return content;
    }

    private static class Expected
    {
        public static readonly string[] Default =
        [
            """
            404 application/problem+json
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"No route matches GET /no-such-route; GET / lists the routes.","instance":"/no-such-route","traceId":"*"}
            """,
            """
            405 application/problem+json Allow: POST
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.6","title":"Method Not Allowed","status":405,"detail":"GET is not allowed on /uploadfile/; the Allow header lists the methods that are.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            415 application/problem+json
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.16","title":"Unsupported media type","status":415,"detail":"The file 'x.txt' was sent as 'text/plain'; send it as an image (JPEG, PNG, WebP, GIF, BMP or TIFF) with a matching image/* content type, or as application/octet-stream.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            415 application/problem+json
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.16","title":"Unsupported Media Type","status":415,"detail":"Send the request as multipart/form-data, with the image in the documented form field.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            400 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Malformed multipart body","status":400,"detail":"The multipart/form-data body could not be read (Unexpected end of Stream, the content may have already been read by another component. ). Send the image as a multipart form field.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            413 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.14","title":"Payload too large","status":413,"detail":"The request body is 6,291,671 bytes; this route accepts at most 5,308,416 bytes: the image file may be at most 5 MB (5,242,880 bytes), plus 64 KB (65,536 bytes) for the other form fields.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            400 application/problem+json
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more fields are invalid","status":400,"detail":"One or more fields are invalid; 'errors' lists each field with what to change.","instance":"/uploadfile/","errors":{"country":["country 'XYZ' is not an ISO 3166-1 alpha-3 country code (such as USA, KEN or GBR)."]},"traceId":"*"}
            """,
            """
            400 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more fields are invalid","status":400,"detail":"One or more fields are invalid; 'errors' lists each field with what to change.","instance":"/uploadfile/","errors":{"latitude":["latitude must be a decimal number of degrees written with a dot, such as 41.46 (got 'abc')."]},"traceId":"*"}
            """,
            """
            400 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more fields are invalid","status":400,"detail":"One or more fields are invalid; 'errors' lists each field with what to change.","instance":"/v1/ensemble","errors":{"$":["Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. Path: $ | LineNumber: 0 | BytePositionInLine: 1."],"body":["The body field is required."]},"traceId":"*"}
            """,
            """
            503 application/problem+json Retry-After: 3
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.6.4","title":"Service unavailable","status":503,"detail":"The model is busy.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            500 application/problem+json
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.6.1","title":"Internal server error","status":500,"detail":"An unexpected error occurred. Quote the traceId when reporting it.","instance":"/uploadfile/","traceId":"*"}
            """,
        ];

        public static readonly string[] Security =
        [
            """
            400 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Invalid host","status":400,"detail":"The Host header of this request is not one this service answers to.","instance":"/","traceId":"*"}
            """,
            """
            401 application/problem+json; charset=utf-8 WWW-Authenticate: Bearer realm="atlas"
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"API key required","status":401,"detail":"Send your API key in the X-API-Key header or as 'Authorization: Bearer <key>'.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            403 application/problem+json; charset=utf-8
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.4","title":"API key not accepted","status":403,"detail":"The API key sent with this request is not valid for this route.","instance":"/uploadfile/","traceId":"*"}
            """,
            """
            200 application/json; charset=utf-8
            {"filename":"camera-trap.jpg","content_size":294,"speciesnet":{"prediction":"blank","prediction_display_name":"blank","prediction_score":0.9,"prediction_source":"classifier","top_classes":[{"label_raw":"blank","display_name":"blank","score":0.9}],"detections":[],"classifications":{"classes":["blank"],"scores":[0.9]},"failures":[],"country":null,"admin1_region":null,"latitude":null,"longitude":null,"model_version":"test-model"}}
            """,
            """
            429 application/problem+json; charset=utf-8 Retry-After: 120
            {"type":"https://www.rfc-editor.org/rfc/rfc6585#section-4","title":"Too many requests","status":429,"detail":"This client has sent too many requests. Retry after 120 s.","instance":"/uploadfile/","traceId":"*"}
            """,
        ];
    }
}
