using SkiaSharp;

namespace Atlas.Bench;

/// <summary>Inputs made up for the benchmarks when no real ones exist (or to control their statistics).</summary>
internal static class SyntheticInputs
{
    /// <summary>Rows of a YOLOv5x6 P6 output at 1280x960: 3 anchors x (160x120 + 80x60 + 40x30 + 20x15) cells.</summary>
    public const int YoloRows = 76_500;

    /// <summary>
    /// A raw detector output [<see cref="YoloRows"/>, 8] where about <paramref name="candidates"/> rows pass the
    /// 0.01 objectness threshold. The candidates cluster around 25 objects with jittered boxes, so class-aware NMS
    /// has real overlap to suppress, like MegaDetector's many anchors firing on the same animal.
    /// </summary>
    public static float[] YoloOutput(int candidates, int width = 1280, int height = 960, int seed = 42)
    {
        var random = new Random(seed);
        var rows = new float[YoloRows * 8];
        var objects = Enumerable.Range(0, 25).Select(_ => (
            Cx: 100 + (random.NextSingle() * (width - 200)), Cy: 100 + (random.NextSingle() * (height - 200)),
            W: 40 + (random.NextSingle() * 200), H: 40 + (random.NextSingle() * 200), Class: random.Next(3))).ToArray();
        var candidateEvery = YoloRows / candidates;
        for (var r = 0; r < YoloRows; r++)
        {
            var row = rows.AsSpan(r * 8, 8);
            if (r % candidateEvery == 0)
            {
                var o = objects[random.Next(objects.Length)];
                row[0] = o.Cx + ((random.NextSingle() - 0.5f) * 0.3f * o.W);
                row[1] = o.Cy + ((random.NextSingle() - 0.5f) * 0.3f * o.H);
                row[2] = o.W * (0.8f + (0.4f * random.NextSingle()));
                row[3] = o.H * (0.8f + (0.4f * random.NextSingle()));
                row[4] = 0.02f + (0.95f * random.NextSingle());
                row[5] = row[6] = row[7] = 0.02f;
                row[5 + o.Class] = 0.7f + (0.29f * random.NextSingle());
            }
            else
            {
                row[0] = random.NextSingle() * width;
                row[1] = random.NextSingle() * height;
                row[2] = 8 + (random.NextSingle() * 64);
                row[3] = 8 + (random.NextSingle() * 64);
                row[4] = random.NextSingle() * 0.009f;
                row[5] = random.NextSingle();
                row[6] = random.NextSingle();
                row[7] = random.NextSingle();
            }
        }

        return rows;
    }

    /// <summary>A 2048x1536 JPEG (quality 90) with gradients and noise, standing in for a camera-trap photo.</summary>
    public static byte[] Jpeg(int width = 2048, int height = 1536, int seed = 7) => Jpeg(width, height, seed, 90);

    /// <summary>The largest of a few 4:3 noisy JPEGs (4000x3000 down) that stays under <paramref name="maxBytes"/>.</summary>
    public static (byte[] Bytes, int Width, int Height) JpegUnder(int maxBytes)
    {
        foreach (var (w, h, q) in new[] { (4000, 3000, 95), (4000, 3000, 90), (4000, 3000, 85), (3264, 2448, 95), (3264, 2448, 90), (2048, 1536, 95) })
        {
            var bytes = Jpeg(w, h, 7, q);
            if (bytes.Length <= maxBytes) return (bytes, w, h);
        }

        return (Jpeg(2048, 1536, 7, 80), 2048, 1536);
    }

    private static byte[] Jpeg(int width, int height, int seed, int quality)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 4;
                var noise = random.Next(-24, 24);
                pixels[i] = (byte)Math.Clamp((x * 255 / width) + noise, 0, 255);
                pixels[i + 1] = (byte)Math.Clamp((y * 255 / height) + noise, 0, 255);
                pixels[i + 2] = (byte)Math.Clamp(128 + noise, 0, 255);
                pixels[i + 3] = 255;
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }
}
