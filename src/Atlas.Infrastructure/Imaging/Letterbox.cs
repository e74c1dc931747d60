using System.Buffers;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// Where a source image lands in the detector's input tensor (YOLOv5 <c>letterbox</c>, auto mode, spec 2.2).
/// The resized image occupies columns [Left, Left + ResizedWidth) and rows [Top, Top + ResizedHeight) of a
/// PaddedWidth x PaddedHeight canvas; both padded sizes are multiples of the stride.
/// </summary>
public readonly record struct LetterboxGeometry(
    int SourceWidth,
    int SourceHeight,
    int ResizedWidth,
    int ResizedHeight,
    int Left,
    int Top,
    int PaddedWidth,
    int PaddedHeight)
{
    /// <summary>MegaDetector v5 input size (long side).</summary>
    public const int DefaultTargetSize = 1280;

    /// <summary>MegaDetector v5 (YOLOv5x6) stride.</summary>
    public const int DefaultStride = 64;

    /// <summary>Grey columns/rows right of and below the image.</summary>
    public int Right => PaddedWidth - ResizedWidth - Left;

    public int Bottom => PaddedHeight - ResizedHeight - Top;

    /// <summary>Length of the NCHW [1, 3, PaddedHeight, PaddedWidth] float tensor.</summary>
    public int TensorLength => 3 * PaddedWidth * PaddedHeight;

    /// <summary>
    /// r = min(T/H, T/W) (upscaling allowed); new size = round-half-even(W·r, H·r); pad each axis up to the
    /// next stride multiple, split as round(d - 0.1) before and round(d + 0.1) after, d = pad/2.
    /// </summary>
    public static LetterboxGeometry Compute(int width, int height, int targetSize = DefaultTargetSize, int stride = DefaultStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);

        var r = Math.Min((double)targetSize / height, (double)targetSize / width);
        var newWidth = (int)Math.Round(width * r, MidpointRounding.ToEven);
        var newHeight = (int)Math.Round(height * r, MidpointRounding.ToEven);
        var dw = Mod(targetSize - newWidth, stride) / 2.0;
        var dh = Mod(targetSize - newHeight, stride) / 2.0;
        var top = (int)Math.Round(dh - 0.1, MidpointRounding.ToEven);
        var bottom = (int)Math.Round(dh + 0.1, MidpointRounding.ToEven);
        var left = (int)Math.Round(dw - 0.1, MidpointRounding.ToEven);
        var right = (int)Math.Round(dw + 0.1, MidpointRounding.ToEven);
        return new LetterboxGeometry(width, height, newWidth, newHeight, left, top, newWidth + left + right, newHeight + top + bottom);
    }

    /// <summary>
    /// Letterbox to an exact canvas (yolov5 <c>letterbox(auto=False)</c>), for detectors exported with a fixed
    /// input size: r = min(H/h, W/w), round-half-even new size, the remaining pad split as in <see cref="Compute"/>.
    /// A fixed square export therefore pads more than the reference's auto mode; a per-size export matches it.
    /// </summary>
    public static LetterboxGeometry ComputeFixed(int width, int height, int canvasWidth, int canvasHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);

        var r = Math.Min((double)canvasHeight / height, (double)canvasWidth / width);
        var newWidth = Math.Min(canvasWidth, (int)Math.Round(width * r, MidpointRounding.ToEven));
        var newHeight = Math.Min(canvasHeight, (int)Math.Round(height * r, MidpointRounding.ToEven));
        var dw = (canvasWidth - newWidth) / 2.0;
        var dh = (canvasHeight - newHeight) / 2.0;
        var top = (int)Math.Round(dh - 0.1, MidpointRounding.ToEven);
        var left = (int)Math.Round(dw - 0.1, MidpointRounding.ToEven);
        return new LetterboxGeometry(width, height, newWidth, newHeight, left, top, canvasWidth, canvasHeight);
    }

    // numpy mod: the result takes the divisor's sign.
    private static int Mod(int a, int m) => ((a % m) + m) % m;
}

/// <summary>Builds the MegaDetector input tensor from an upright RGB image (spec 2.2).</summary>
public static class Letterbox
{
    private const byte PadValue = 114;

    /// <summary>
    /// Writes the letterboxed image as NCHW float32 [1, 3, PaddedHeight, PaddedWidth], RGB order, values
    /// byte/255, grey 114 padding, into <paramref name="destination"/> (at least <see cref="LetterboxGeometry.TensorLength"/>).
    /// </summary>
    public static void ToTensor(RgbImage image, in LetterboxGeometry geometry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != geometry.SourceWidth || image.Height != geometry.SourceHeight)
        {
            throw new ArgumentException(
                $"Geometry is for {geometry.SourceWidth}x{geometry.SourceHeight}, image is {image.Width}x{image.Height}.", nameof(geometry));
        }
        Fill(image, geometry, destination);
    }

    /// <summary>
    /// As <see cref="ToTensor"/>, from a reduced decode of the source (<see cref="ImageDecoder.TryDecodeScaled"/>):
    /// <paramref name="geometry"/> is computed for the full-resolution size, so boxes map back exactly as before,
    /// and the resize reads <paramref name="scaled"/>, which must be at least the resized size on both axes.
    /// </summary>
    /// <param name="scaled">The reduced upright image.</param>
    /// <param name="geometry">The letterbox of the full-resolution image.</param>
    /// <param name="destination">At least <see cref="LetterboxGeometry.TensorLength"/> floats.</param>
    public static void ToTensorFromScaled(RgbImage scaled, in LetterboxGeometry geometry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        if (scaled.Width < geometry.ResizedWidth || scaled.Height < geometry.ResizedHeight)
        {
            throw new ArgumentException(
                $"A {scaled.Width}x{scaled.Height} image is smaller than the letterbox's {geometry.ResizedWidth}x{geometry.ResizedHeight}.", nameof(scaled));
        }
        Fill(scaled, geometry, destination);
    }

    private static void Fill(RgbImage image, in LetterboxGeometry geometry, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, geometry.TensorLength, nameof(destination));

        int wp = geometry.PaddedWidth, hp = geometry.PaddedHeight, plane = wp * hp;
        int rw = geometry.ResizedWidth, rh = geometry.ResizedHeight, left = geometry.Left, top = geometry.Top;
        var pad = UnitScale.Table[PadValue];
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);

        // Padding: whole rows above and below, then the side columns of each image row.
        foreach (var channel in (ReadOnlySpan<int>)[0, plane, 2 * plane])
        {
            destination.Slice(channel, top * wp).Fill(pad);
            destination.Slice(channel + ((top + rh) * wp), (hp - top - rh) * wp).Fill(pad);
            for (var y = top; y < top + rh; y++)
            {
                destination.Slice(channel + (y * wp), left).Fill(pad);
                destination.Slice(channel + (y * wp) + left + rw, wp - left - rw).Fill(pad);
            }
        }

        ReadOnlySpan<byte> src = image.Pixels;
        var rowBytes = rw * 3;
        if (rw == image.Width && rh == image.Height)
        {
            for (var y = 0; y < rh; y++)
            {
                Scatter(src.Slice(y * rowBytes, rowBytes), ((top + y) * wp) + left, r, g, b);
            }
            return;
        }

        var plan = new OpenCvLinearResize.Plan(image.Width, image.Height, rw, rh);
        var row = ArrayPool<byte>.Shared.Rent(rowBytes);
        try
        {
            using var resizer = new OpenCvLinearResize.RowResizer(plan);
            for (var y = 0; y < rh; y++)
            {
                var rowSpan = row.AsSpan(0, rowBytes);
                resizer.ProduceRow(src, y, rowSpan);
                Scatter(rowSpan, ((top + y) * wp) + left, r, g, b);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
    }

    private static void Scatter(ReadOnlySpan<byte> rgbRow, int offset, Span<float> r, Span<float> g, Span<float> b)
    {
        var lut = UnitScale.Table;
        var count = rgbRow.Length / 3;
        var rr = r.Slice(offset, count);
        var gg = g.Slice(offset, count);
        var bb = b.Slice(offset, count);
        for (int x = 0, s = 0; x < count; x++, s += 3)
        {
            rr[x] = lut[rgbRow[s]];
            gg[x] = lut[rgbRow[s + 1]];
            bb[x] = lut[rgbRow[s + 2]];
        }
    }
}
