using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace Atlas.TestSupport;

/// <summary>
/// Images made in code, so tests need no binary fixtures: encoded with Skia or LibTiff.NET here, written byte by
/// byte in <c>TestImages.Handmade.cs</c> (with <see cref="PngWriter"/> and <see cref="ExifWriter"/>), or built as
/// decoded <see cref="RgbImage"/>s. The one image helper of every test project.
/// </summary>
public static partial class TestImages
{
    /// <summary>A solid-colour image (premultiplied RGBA bitmap) encoded by Skia.</summary>
    public static byte[] Solid(int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg, int quality = 95)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.Erase(color);
        return Encode(bitmap, format, quality);
    }

    /// <summary>An opaque <paramref name="width"/> x <paramref name="height"/> image of one colour (a demo-model picture).</summary>
    public static byte[] OpaqueSolid(int width, int height, (byte R, byte G, byte B) colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        WithRect(width, height, colour, colour, new SKRectI(0, 0, 0, 0), format);

    /// <summary>An opaque background colour with <paramref name="rect"/> painted in <paramref name="fill"/>.</summary>
    public static byte[] WithRect(int width, int height, (byte R, byte G, byte B) background, (byte R, byte G, byte B) fill, SKRectI rect,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95) =>
        WithRect(width, height, background, fill, (SKRect)rect, format, quality);

    /// <summary>A <paramref name="width"/> x <paramref name="height"/> grey picture with a red square (the demo detector sees an animal).</summary>
    public static byte[] Picture(SKEncodedImageFormat format, int width = 320, int height = 240, int quality = 90) =>
        WithRect(width, height, (128, 128, 128), (220, 30, 30), new SKRect(width / 4f, height / 4f, width / 2f, height / 2f), format, quality);

    /// <summary>A 320x240 (by default) <see cref="Picture"/> as a JPEG.</summary>
    public static byte[] Jpeg(int width = 320, int height = 240) => Picture(SKEncodedImageFormat.Jpeg, width, height);

    /// <summary>Encodes an opaque image pixel by pixel with Skia (JPEG quality 100, or lossless WebP).</summary>
    public static byte[] Encode(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        }

        using var data = bitmap.Encode(format, 100);
        return data.ToArray();
    }

    /// <summary>The RGB of a demo colour.</summary>
    public static (byte R, byte G, byte B) Rgb(this DemoColour colour) => (colour.R, colour.G, colour.B);

    /// <summary>A decoded image, pixel by pixel.</summary>
    public static RgbImage Rgb(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
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

    /// <summary>A decoded image of one colour.</summary>
    public static RgbImage RgbSolid(int width, int height, byte r, byte g, byte b) => Rgb(width, height, (_, _) => (r, g, b));

    /// <summary>
    /// Encodes a TIFF with LibTiff.NET: RGB (3 samples) or greyscale (1 sample, the pixel's red), 8 bits,
    /// uncompressed or LZW, with the given Orientation tag (rows are written in file order as given).
    /// </summary>
    public static byte[] Tiff(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, bool grey = false,
        Orientation orientation = Orientation.TOPLEFT, Compression compression = Compression.NONE) =>
        TiffPages(width, height, 1, (_, x, y) => pixel(x, y), grey, orientation, compression, Math.Max(1, Math.Min(height, 64)));

    /// <summary>An LZW TIFF of <paramref name="pages"/> RGB pages (no Orientation tag; 16 rows a strip).</summary>
    public static byte[] Tiff(int width, int height, int pages = 1) =>
        TiffPages(width, height, pages, (page, x, y) => ((byte)(x * 3 + page), (byte)(y * 3), 90), grey: false, orientation: null, Compression.LZW, rowsPerStrip: 16);

    private static byte[] WithRect(int width, int height, (byte R, byte G, byte B) background, (byte R, byte G, byte B) fill, SKRect rect,
        SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(background.R, background.G, background.B));
        if (!rect.IsEmpty)
        {
            using var canvas = new SKCanvas(bitmap);
            using var paint = new SKPaint { Color = new SKColor(fill.R, fill.G, fill.B), IsAntialias = false };
            canvas.DrawRect(rect, paint);
        }

        return Encode(bitmap, format, quality);
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    private static byte[] TiffPages(int width, int height, int pages, Func<int, int, int, (byte R, byte G, byte B)> pixel, bool grey,
        Orientation? orientation, Compression compression, int rowsPerStrip)
    {
        using var stream = new MemoryStream();
        using (var tiff = BitMiracle.LibTiff.Classic.Tiff.ClientOpen("test.tif", "w", stream, new TiffStream()))
        {
            var samples = grey ? 1 : 3;
            for (var page = 0; page < pages; page++)
            {
                tiff.SetField(TiffTag.IMAGEWIDTH, width);
                tiff.SetField(TiffTag.IMAGELENGTH, height);
                tiff.SetField(TiffTag.SAMPLESPERPIXEL, samples);
                tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
                tiff.SetField(TiffTag.PHOTOMETRIC, grey ? Photometric.MINISBLACK : Photometric.RGB);
                tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
                tiff.SetField(TiffTag.COMPRESSION, compression);
                if (orientation is { } o) tiff.SetField(TiffTag.ORIENTATION, o);
                tiff.SetField(TiffTag.ROWSPERSTRIP, rowsPerStrip);
                if (pages > 1)
                {
                    tiff.SetField(TiffTag.SUBFILETYPE, FileType.PAGE);
                    tiff.SetField(TiffTag.PAGENUMBER, page, pages);
                }

                var row = new byte[width * samples];
                for (var y = 0; y < height; y++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        var (r, g, b) = pixel(page, x, y);
                        if (grey)
                        {
                            row[x] = r;
                        }
                        else
                        {
                            row[3 * x] = r;
                            row[3 * x + 1] = g;
                            row[3 * x + 2] = b;
                        }
                    }

                    if (!tiff.WriteScanline(row, y)) throw new InvalidOperationException($"LibTiff could not write row {y}.");
                }

                tiff.WriteDirectory();
            }
        }

        return stream.ToArray();
    }
}
