using System.Buffers;
using Atlas.Infrastructure.Imaging;

namespace Atlas.Infrastructure.Classification;

/// <summary>
/// A region of the image in pixels. It may reach outside the image; those pixels read as zero
/// (torchvision <c>F.crop</c> semantics).
/// </summary>
public readonly record struct CropRegion(int Left, int Top, int Width, int Height);

/// <summary>
/// The crop (or the height-only centre crop) has no pixels, so the classifier cannot run; SpeciesNet's
/// torch resize raises here and the image gets a CLASSIFIER failure.
/// </summary>
public sealed class EmptyCropException : Exception
{
    public EmptyCropException() : this("The classifier crop is empty.") { }

    public EmptyCropException(string message) : base(message) { }

    public EmptyCropException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// SpeciesNet classifier pre-processing (spec 3.2, 3.3): crop, torch bilinear resize to 480x480
/// (align_corners=false, antialias=false, float32 on byte/255 values, zero outside the image),
/// quantize with <c>trunc(x * 255.999)</c> as torchvision's float->uint8 conversion, and write
/// NHWC float32 byte/255 into a caller-provided batch slot. Pure and thread-safe.
/// </summary>
public static class ClassifierPreprocessor
{
    public const int InputSize = 480;

    /// <summary>Floats per image: [480, 480, 3].</summary>
    public const int TensorLength = InputSize * InputSize * 3;

    private const double FullImageMaxCropRatio = 0.3;
    private const int FullImageMaxCropSize = 400;

    // torchvision float->uint8: x * (255 + 1 - 1e-3), the Python scalar rounded to float32, then truncated.
    private const float QuantizeScale = (float)255.999;

    /// <summary>
    /// always_crop models: the region of the highest-confidence detection <paramref name="bbox"/>
    /// ([xmin, ymin, w, h], normalized) with Python <c>int()</c> truncation, or the whole image when there is none.
    /// </summary>
    public static CropRegion CropForDetection(int imageWidth, int imageHeight, IReadOnlyList<double>? bbox)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        if (bbox is null) return new CropRegion(0, 0, imageWidth, imageHeight);
        if (bbox.Count != 4) throw new ArgumentException("A bbox has 4 values: xmin, ymin, width, height.", nameof(bbox));
        return new CropRegion(
            Left: (int)(bbox[0] * imageWidth),
            Top: (int)(bbox[1] * imageHeight),
            Width: (int)(bbox[2] * imageWidth),
            Height: (int)(bbox[3] * imageHeight));
    }

    /// <summary>
    /// full_image models: keep the full width and centre-crop the height to
    /// <c>max(int(H * (1 - 0.3)), H - 400)</c>, top offset <c>round((H - targetH) / 2)</c> (half to even).
    /// </summary>
    public static CropRegion CropForFullImage(int imageWidth, int imageHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        var targetHeight = Math.Max((int)(imageHeight * (1.0 - FullImageMaxCropRatio)), imageHeight - FullImageMaxCropSize);
        var top = (int)Math.Round((imageHeight - targetHeight) / 2.0, MidpointRounding.ToEven);
        return new CropRegion(0, top, imageWidth, targetHeight);
    }

    /// <summary>
    /// Crops <paramref name="region"/> out of <paramref name="image"/>, resizes it to 480x480 and writes
    /// NHWC float32 into <paramref name="destination"/> (at least <see cref="TensorLength"/>; pass a batch slot).
    /// </summary>
    /// <exception cref="EmptyCropException">The region is less than one pixel wide or high.</exception>
    public static void ToTensor(RgbImage image, CropRegion region, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, TensorLength, nameof(destination));
        if (region.Width <= 0 || region.Height <= 0)
        {
            throw new EmptyCropException(
                $"The classifier crop {region.Width}x{region.Height} at ({region.Left},{region.Top}) has no pixels.");
        }

        var columns = Axis.Create(region.Width, region.Left, image.Width);
        var rows = Axis.Create(region.Height, region.Top, image.Height);
        ReadOnlySpan<byte> pixels = image.Pixels;
        var quantized = UnitScale.Table;
        var pool = ArrayPool<float>.Shared;
        var rowA = pool.Rent(InputSize * 3);
        var rowB = pool.Rent(InputSize * 3);
        try
        {
            int cachedA = int.MinValue, cachedB = int.MinValue;
            for (var oy = 0; oy < InputSize; oy++)
            {
                // Horizontal pass of crop rows y0 and y1 (cached: consecutive output rows share source rows).
                int y0 = rows.Index0[oy], y1 = rows.Index1[oy];
                var t0 = Horizontal(y0, ref cachedA, ref cachedB, rowA, rowB, pixels, image, columns, rows);
                var t1 = Horizontal(y1, ref cachedA, ref cachedB, rowA, rowB, pixels, image, columns, rows);
                float wy0 = rows.Weight0[oy], wy1 = rows.Weight1[oy];
                var dst = destination.Slice(oy * InputSize * 3, InputSize * 3);
                for (var i = 0; i < dst.Length; i++)
                {
                    var v = (t0[i] * wy0) + (t1[i] * wy1);
                    dst[i] = quantized[(int)(v * QuantizeScale)];
                }
            }
        }
        finally
        {
            pool.Return(rowA);
            pool.Return(rowB);
        }
    }

    /// <summary>
    /// Returns crop row <paramref name="y"/> resized horizontally (t = a * wx0 + b * wx1 per channel, float32),
    /// reusing whichever of the two buffers already holds it.
    /// </summary>
    private static ReadOnlySpan<float> Horizontal(
        int y, ref int cachedA, ref int cachedB, float[] rowA, float[] rowB,
        ReadOnlySpan<byte> pixels, RgbImage image, Axis columns, Axis rows)
    {
        if (y == cachedA) return rowA;
        if (y == cachedB) return rowB;
        float[] target;
        if (cachedA < cachedB)
        {
            target = rowA;
            cachedA = y;
        }
        else
        {
            target = rowB;
            cachedB = y;
        }

        var t = target.AsSpan(0, InputSize * 3);
        var imageRow = rows.Offset + y;
        if (imageRow < 0 || imageRow >= image.Height)
        {
            t.Clear();
            return t;
        }
        var src = pixels.Slice(imageRow * image.Stride, image.Stride);
        for (int ox = 0, d = 0; ox < InputSize; ox++, d += 3)
        {
            int x0 = columns.Source0[ox], x1 = columns.Source1[ox];
            float w0 = columns.Weight0[ox], w1 = columns.Weight1[ox];
            for (var c = 0; c < 3; c++)
            {
                // Values are float32 byte / 255 (torchvision convert_image_dtype); outside the image they are 0.
                var a = x0 < 0 ? 0f : src[x0 + c] / 255f;
                var b = x1 < 0 ? 0f : src[x1 + c] / 255f;
                t[d + c] = (a * w0) + (b * w1);
            }
        }
        return t;
    }

    /// <summary>
    /// Per-output-index source indices and weights along one axis, as torch's upsample_bilinear2d computes them:
    /// scale = (float)in / out, src = max(scale * (i + 0.5f) - 0.5f, 0), i0 = min(floor(src), in - 1),
    /// lambda = clamp(src - i0, 0, 1), i1 = i0 + (i0 &lt; in - 1 ? 1 : 0).
    /// </summary>
    private sealed class Axis
    {
        private Axis(int offset)
        {
            Offset = offset;
        }

        /// <summary>Crop-relative indices (rows use these).</summary>
        public int[] Index0 { get; } = new int[InputSize];
        public int[] Index1 { get; } = new int[InputSize];
        public float[] Weight0 { get; } = new float[InputSize];
        public float[] Weight1 { get; } = new float[InputSize];

        /// <summary>Byte offsets of the RGB pixel within an image row, or -1 outside the image (columns use these).</summary>
        public int[] Source0 { get; } = new int[InputSize];
        public int[] Source1 { get; } = new int[InputSize];

        public int Offset { get; }

        public static Axis Create(int inputSize, int offset, int imageSize)
        {
            var axis = new Axis(offset);
            var scale = (float)inputSize / InputSize;
            for (var i = 0; i < InputSize; i++)
            {
                int i0, i1;
                float lambda;
                if (inputSize == InputSize)
                {
                    i0 = i1 = i;
                    lambda = 0f;
                }
                else
                {
                    var src = (scale * (i + 0.5f)) - 0.5f;
                    if (src < 0f) src = 0f;
                    i0 = Math.Min((int)MathF.Floor(src), inputSize - 1);
                    lambda = Math.Clamp(src - i0, 0f, 1f);
                    i1 = i0 + (i0 < inputSize - 1 ? 1 : 0);
                }
                axis.Index0[i] = i0;
                axis.Index1[i] = i1;
                axis.Weight0[i] = 1f - lambda;
                axis.Weight1[i] = lambda;
                axis.Source0[i] = PixelOffset(offset + i0, imageSize);
                axis.Source1[i] = PixelOffset(offset + i1, imageSize);
            }
            return axis;
        }

        private static int PixelOffset(int position, int imageSize) => position >= 0 && position < imageSize ? position * 3 : -1;
    }
}
