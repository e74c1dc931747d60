using Atlas.Application.Images;

namespace Atlas.Application.Tests.Gemini;

/// <summary>Uploads whose magic bytes match their declared type (the validators look no further).</summary>
internal static class GeminiTestData
{
    public static ImageUpload Jpeg(int index, int size = 64) => Upload(index, "image/jpeg", [0xFF, 0xD8, 0xFF, 0xE0], size, "jpg");

    public static ImageUpload Png(int index) => Upload(index, "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 64, "png");

    public static ImageUpload Gif(int index) => Upload(index, "image/gif", "GIF89a"u8.ToArray(), 64, "gif");

    public static ImageUpload Text(int index) => new($"files[{index}]", "notes.txt", "text/plain", "hello"u8.ToArray());

    private static ImageUpload Upload(int index, string type, byte[] magic, int size, string ext)
    {
        var bytes = new byte[Math.Max(size, 16)];
        magic.CopyTo(bytes, 0);
        return new ImageUpload($"files[{index}]", $"img{index}.{ext}", type, bytes);
    }
}
