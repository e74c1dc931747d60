using Atlas.Domain.Abstractions;
using Atlas.Domain.Rendering;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;
using Atlas.Infrastructure.Imaging;
using SkiaSharp;

namespace Atlas.Infrastructure.Rendering;

/// <summary>
/// <see cref="IPredictionRenderer"/> with SkiaSharp: the image is decoded by <see cref="ImageDecoder"/> (same limits
/// and EXIF orientation as the engine, so boxes line up), optionally scaled down, human/vehicle boxes blurred when
/// asked (Gaussian, sigma a tenth of the box's longer side, at least 8 px, clipped to the box), then every box at
/// or above the confidence threshold is outlined (animal orange, human blue, vehicle purple) with a label
/// <c>label score</c>; the top animal box adds the prediction's common name. Labels use the first system font
/// found (DejaVu, Liberation, Noto...); with none, boxes are drawn without text. Stateless and thread-safe.
/// </summary>
public sealed class SkiaPredictionRenderer(ImageDecoder decoder) : IPredictionRenderer
{
    private static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "C:\\Windows\\Fonts\\arialbd.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    ];

    private static readonly Lazy<SKTypeface?> Typeface = new(FindTypeface);

    /// <summary>True when a font was found for labels.</summary>
    public static bool HasFont => Typeface.Value is not null;

    /// <inheritdoc />
    public RenderedImage Render(ReadOnlyMemory<byte> image, SpeciesNetPrediction prediction, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(options);
        using var bitmap = Upright(image.Span, options.MaxSize);
        var width = bitmap.Width;
        var height = bitmap.Height;
        var detections = prediction.Detections ?? [];

        using (var canvas = new SKCanvas(bitmap))
        {
            if (options.BlurPeople)
            {
                var floor = Math.Min(options.MinConfidence, RenderOptions.BlurFloor);
                using var original = SKImage.FromBitmap(bitmap); // snapshot: blurs read unblurred pixels
                foreach (var d in detections.Where(d => d.Conf >= floor && d.Label is "human" or "vehicle"))
                {
                    var rect = PixelRect(d, width, height);
                    if (rect.Width < 1 || rect.Height < 1) continue;
                    var sigma = Math.Max(8f, Math.Max(rect.Width, rect.Height) / 10f);
                    using var blur = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp);
                    using var paint = new SKPaint { ImageFilter = blur };
                    canvas.Save();
                    canvas.ClipRect(rect);
                    canvas.DrawImage(original, 0, 0, SKSamplingOptions.Default, paint);
                    canvas.Restore();
                }
            }

            var topAnimal = detections.Where(d => d.Label == "animal").OrderByDescending(d => d.Conf).FirstOrDefault();
            var name = prediction.Prediction is { } label && SpeciesLabel.TryParse(label, out var parsed) && parsed is not null
                ? parsed.DisplayName
                : null;
            var stroke = Math.Max(2f, Math.Min(width, height) / 300f);
            using var font = new SKFont(Typeface.Value ?? SKTypeface.Default, Math.Max(12f, Math.Min(width, height) / 40f));
            // Weakest first, so the strongest boxes and labels end up on top.
            foreach (var d in detections.Where(d => d.Conf >= options.MinConfidence).OrderBy(d => d.Conf))
            {
                var rect = PixelRect(d, width, height);
                var colour = d.Label switch
                {
                    "animal" => new SKColor(255, 140, 0),
                    "human" => new SKColor(30, 144, 255),
                    _ => new SKColor(186, 85, 211),
                };
                using var box = new SKPaint { Color = colour, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
                canvas.DrawRect(rect, box);
                var text = FormattableString.Invariant($"{d.Label} {d.Conf:0.00}");
                if (ReferenceEquals(d, topAnimal) && !string.IsNullOrEmpty(name) && name != "animal")
                {
                    text += " " + name;
                }

                DrawLabel(canvas, font, text, rect, colour);
            }
        }

        using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, options.JpegQuality)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the rendering as JPEG.");
        return new RenderedImage(encoded.ToArray(), width, height);
    }

    private SKBitmap Upright(ReadOnlySpan<byte> encoded, int? maxSize)
    {
        using var rgb = decoder.Decode(encoded);
        var full = new SKBitmap(new SKImageInfo(rgb.Width, rgb.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var src = rgb.Pixels;
        var rowBytes = full.RowBytes;
        var row = new byte[rowBytes];
        var pixels = full.GetPixels();
        for (var y = 0; y < rgb.Height; y++)
        {
            var line = src.Slice(y * rgb.Stride, rgb.Stride);
            for (int x = 0, i = 0, o = 0; x < rgb.Width; x++, i += 3, o += 4)
            {
                row[o] = line[i];
                row[o + 1] = line[i + 1];
                row[o + 2] = line[i + 2];
                row[o + 3] = 255;
            }

            System.Runtime.InteropServices.Marshal.Copy(row, 0, pixels + (y * rowBytes), rowBytes);
        }

        var longest = Math.Max(full.Width, full.Height);
        if (maxSize is not { } max || longest <= max)
        {
            return full;
        }

        using (full)
        {
            var scale = (double)max / longest;
            var info = new SKImageInfo(Math.Max(1, (int)Math.Round(full.Width * scale)), Math.Max(1, (int)Math.Round(full.Height * scale)),
                SKColorType.Rgba8888, SKAlphaType.Opaque);
            return full.Resize(info, new SKSamplingOptions(SKCubicResampler.CatmullRom))
                ?? throw new InvalidOperationException("SkiaSharp could not scale the image.");
        }
    }

    private static SKRect PixelRect(Atlas.Domain.SpeciesNet.Detection d, int width, int height)
    {
        var b = d.Bbox;
        var left = (float)Math.Clamp(b[0] * width, 0, width);
        var top = (float)Math.Clamp(b[1] * height, 0, height);
        var right = (float)Math.Clamp((b[0] + b[2]) * width, 0, width);
        var bottom = (float)Math.Clamp((b[1] + b[3]) * height, 0, height);
        return new SKRect(left, top, right, bottom);
    }

    private static void DrawLabel(SKCanvas canvas, SKFont font, string text, SKRect box, SKColor colour)
    {
        if (Typeface.Value is null) return;
        var textWidth = font.MeasureText(text);
        var metrics = font.Metrics;
        var textHeight = metrics.Descent - metrics.Ascent;
        var pad = 3f;
        var top = box.Top - textHeight - (2 * pad);
        if (top < 0) top = box.Top; // no room above: inside the box
        var background = new SKRect(box.Left, top, box.Left + textWidth + (2 * pad), top + textHeight + (2 * pad));
        using var fill = new SKPaint { Color = colour, Style = SKPaintStyle.Fill };
        canvas.DrawRect(background, fill);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(text, background.Left + pad, background.Top + pad - metrics.Ascent, SKTextAlign.Left, font, ink);
    }

    private static SKTypeface? FindTypeface()
    {
        foreach (var path in FontFiles)
        {
            if (File.Exists(path) && SKTypeface.FromFile(path) is { } face && face.GlyphCount > 0)
            {
                return face;
            }
        }

        var fallback = SKFontManager.Default.MatchFamily("sans-serif") ?? SKTypeface.Default;
        return fallback is { GlyphCount: > 0 } ? fallback : null;
    }
}
