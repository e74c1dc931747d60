using System.Runtime.Intrinsics;
using SkiaSharp;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// Drops alpha and applies the EXIF orientation in one pass (PIL <c>ImageOps.exif_transpose</c> semantics:
/// 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise).
/// </summary>
internal static class ExifOrientation
{
    /// <summary>Converts decoded RGBA (w x h) to an upright RGB image.</summary>
    public static RgbImage ToUprightRgb(ReadOnlySpan<byte> rgba, int width, int height, SKEncodedOrigin origin)
    {
        var swapsAxes = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var outWidth = swapsAxes ? height : width;
        var outHeight = swapsAxes ? width : height;
        var image = RgbImage.Allocate(outWidth, outHeight);
        var dst = image.Pixels;
        if (origin is SKEncodedOrigin.TopLeft)
        {
            DropAlpha(rgba, dst);
            return image;
        }

        for (var oy = 0; oy < outHeight; oy++)
        {
            // Source pixel of output (0, oy) and the source step per output column, in pixels.
            var (sx, sy, step) = origin switch
            {
                SKEncodedOrigin.TopRight => (width - 1, oy, -1),
                SKEncodedOrigin.BottomRight => (width - 1, height - 1 - oy, -1),
                SKEncodedOrigin.BottomLeft => (0, height - 1 - oy, 1),
                SKEncodedOrigin.LeftTop => (oy, 0, width),
                SKEncodedOrigin.RightTop => (oy, height - 1, -width),
                SKEncodedOrigin.RightBottom => (width - 1 - oy, height - 1, -width),
                SKEncodedOrigin.LeftBottom => (width - 1 - oy, 0, width),
                _ => (0, oy, 1),
            };
            var s = ((sy * width) + sx) * 4;
            var s4 = step * 4;
            var row = dst.Slice(oy * outWidth * 3, outWidth * 3);
            for (var d = 0; d < row.Length; d += 3, s += s4)
            {
                row[d] = rgba[s];
                row[d + 1] = rgba[s + 1];
                row[d + 2] = rgba[s + 2];
            }
        }
        return image;
    }

    /// <summary>The common upright case: RGBA -> RGB with a 16-byte shuffle, 4 pixels per step.</summary>
    private static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        var pixels = rgb.Length / 3;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var shuffle = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
            // Each step writes 16 bytes of which 12 are kept; the next step overwrites the other 4.
            for (; (i * 3) + 16 <= rgb.Length; i += 4)
            {
                Vector128.Shuffle(Vector128.Create(rgba.Slice(i * 4, 16)), shuffle).CopyTo(rgb[(i * 3)..]);
            }
        }
        for (; i < pixels; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[(i * 3) + 1] = rgba[(i * 4) + 1];
            rgb[(i * 3) + 2] = rgba[(i * 4) + 2];
        }
    }
}
