using System.Net.Http.Headers;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>Builds multipart/form-data bodies, including deliberately broken ones.</summary>
public static class Multipart
{
    public static MultipartFormDataContent File(byte[] bytes, string fileName = "camera-trap.jpg", string? contentType = "image/jpeg", string field = "file")
    {
        var content = new MultipartFormDataContent();
        AddFile(content, bytes, fileName, contentType, field);
        return content;
    }

    public static void AddFile(MultipartFormDataContent content, byte[] bytes, string fileName, string? contentType, string field)
    {
        var part = new ByteArrayContent(bytes);
        if (contentType is not null) part.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        content.Add(part, field, fileName);
    }

    public static MultipartFormDataContent With(this MultipartFormDataContent content, string field, string value)
    {
        content.Add(new StringContent(value), field);
        return content;
    }
}
