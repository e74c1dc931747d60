using Atlas.Infrastructure.Imaging;

namespace Atlas.Infrastructure.Tests.Imaging;

/// <summary>Builds in-memory <see cref="RgbImage"/>s for tests.</summary>
internal static class TestImages
{
    public static RgbImage Create(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var image = RgbImage.Allocate(width, height);
        var p = image.Pixels;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                var i = ((y * width) + x) * 3;
                p[i] = r; p[i + 1] = g; p[i + 2] = b;
            }
        }
        return image;
    }

    public static RgbImage Solid(int width, int height, byte r, byte g, byte b) => Create(width, height, (_, _) => (r, g, b));
}
