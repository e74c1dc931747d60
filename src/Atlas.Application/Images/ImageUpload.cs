using Atlas.Domain.Images;
namespace Atlas.Application.Images;

/// <summary>
/// One uploaded file, held in memory (Atlas writes no temporary files).
/// </summary>
/// <param name="FieldName">The multipart form field it came from (<c>file</c> or <c>files</c>), used to key validation errors.</param>
/// <param name="FileName">The client's file name (already reduced to its last path segment).</param>
/// <param name="ContentType">The media type the client declared for the part, if any.</param>
/// <param name="Content">The file bytes.</param>
public sealed record ImageUpload(string FieldName, string FileName, string? ContentType, ReadOnlyMemory<byte> Content)
{
    /// <summary>Size of the file in bytes.</summary>
    public long Length => Content.Length;

    /// <summary>The format recognised from the magic bytes.</summary>
    public ImageFormat DetectedFormat => ImageFormatSniffer.Detect(Content.Span[..Math.Min(Content.Length, ImageFormatSniffer.HeaderLength)]);
}
