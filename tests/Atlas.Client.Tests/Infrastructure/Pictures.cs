using SkiaSharp;

namespace Atlas.Client.Tests.Infrastructure;

/// <summary>Synthetic images made in code (no binary fixtures).</summary>
internal static class Pictures
{
    public static byte[] Solid(int width, int height, SKColor colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    public static FileParameter File(byte[] bytes, string name, string contentType) => new(new MemoryStream(bytes), name, contentType);

    /// <summary>The repository root (where Atlas.sln is).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (System.IO.File.Exists(Path.Combine(dir.FullName, "Atlas.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("Atlas.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
