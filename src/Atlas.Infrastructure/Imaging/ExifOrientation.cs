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
}
