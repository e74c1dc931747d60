using System.Buffers;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// Bit-exact port of OpenCV's <c>cv::resize(..., INTER_LINEAR)</c> for 8-bit, 3-channel images on x86
/// (what YOLOv5's letterbox runs, spec 2.2):
/// <list type="bullet">
/// <item>source coordinate <c>(float)((d + 0.5) * scale - 0.5)</c> with <c>scale = 1 / (dstSize / srcSize)</c> in double,
/// floored; x below 0 or at the last column is clamped with weight 0, y rows are clamped to the image;</item>
/// <item>weights are <c>saturate_cast&lt;short&gt;(w * 2048)</c> (11 fractional bits, round half to even);</item>
/// <item>the horizontal pass is exact in int32; the vertical pass is OpenCV's uchar specialisation
/// <c>(((S0 &gt;&gt; 4) * b0 &gt;&gt; 16) + ((S1 &gt;&gt; 4) * b1 &gt;&gt; 16) + 2) &gt;&gt; 2</c> (used by its SIMD lanes and its scalar
/// tail alike; it differs by one grey level now and then from the textbook <c>(S0 * b0 + S1 * b1 + 2^21) &gt;&gt; 22</c>).</item>
/// </list>
/// OpenCV switches an exact 2x downscale to INTER_AREA; its result equals this formula, so no special case is needed.
/// Checked against OpenCV 4.6 (Debian build) on random images and sizes: identical bytes.
/// </summary>
public static class OpenCvLinearResize
{
    private const int CoefBits = 11;
    private const int CoefScale = 1 << CoefBits;

    /// <summary>Resizes interleaved RGB <paramref name="src"/> (w x h) into <paramref name="dst"/> (dw x dh).</summary>
    public static void Resize(ReadOnlySpan<byte> src, int srcWidth, int srcHeight, Span<byte> dst, int dstWidth, int dstHeight)
    {
        var plan = new Plan(srcWidth, srcHeight, dstWidth, dstHeight);
        ArgumentOutOfRangeException.ThrowIfLessThan(src.Length, srcWidth * srcHeight * 3, nameof(src));
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, dstWidth * dstHeight * 3, nameof(dst));
        var rowBytes = dstWidth * 3;
        using var rows = new RowResizer(plan);
        for (var dy = 0; dy < dstHeight; dy++)
        {
            rows.ProduceRow(src, dy, dst.Slice(dy * rowBytes, rowBytes));
        }
    }

    /// <summary>Index and weight tables for one source/destination size pair.</summary>
    internal sealed class Plan
    {
        public Plan(int srcWidth, int srcHeight, int dstWidth, int dstHeight)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srcWidth);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(srcHeight);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstWidth);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dstHeight);
            SrcWidth = srcWidth;
            SrcHeight = srcHeight;
            DstWidth = dstWidth;
            DstHeight = dstHeight;

            var scaleX = 1.0 / ((double)dstWidth / srcWidth);
            var scaleY = 1.0 / ((double)dstHeight / srcHeight);

            X0 = new int[dstWidth];
            X1 = new int[dstWidth];
            Alpha0 = new int[dstWidth];
            Alpha1 = new int[dstWidth];
            for (var dx = 0; dx < dstWidth; dx++)
            {
                var fx = (float)(((dx + 0.5) * scaleX) - 0.5);
                var sx = (int)MathF.Floor(fx);
                fx -= sx;
                if (sx < 0)
                {
                    fx = 0;
                    sx = 0;
                }
                if (sx >= srcWidth - 1)
                {
                    fx = 0;
                    sx = srcWidth - 1;
                }
                X0[dx] = sx * 3;
                X1[dx] = Math.Min(sx + 1, srcWidth - 1) * 3;
                Alpha0[dx] = Coefficient(1f - fx);
                Alpha1[dx] = Coefficient(fx);
            }

            Y0 = new int[dstHeight];
            Y1 = new int[dstHeight];
            Beta0 = new int[dstHeight];
            Beta1 = new int[dstHeight];
            for (var dy = 0; dy < dstHeight; dy++)
            {
                var fy = (float)(((dy + 0.5) * scaleY) - 0.5);
                var sy = (int)MathF.Floor(fy);
                fy -= sy;
                Y0[dy] = Math.Clamp(sy, 0, srcHeight - 1);
                Y1[dy] = Math.Clamp(sy + 1, 0, srcHeight - 1);
                Beta0[dy] = Coefficient(1f - fy);
                Beta1[dy] = Coefficient(fy);
            }
        }

        public int SrcWidth { get; }
        public int SrcHeight { get; }
        public int DstWidth { get; }
        public int DstHeight { get; }
        public int[] X0 { get; }
        public int[] X1 { get; }
        public int[] Alpha0 { get; }
        public int[] Alpha1 { get; }
        public int[] Y0 { get; }
        public int[] Y1 { get; }
        public int[] Beta0 { get; }
        public int[] Beta1 { get; }

        // saturate_cast<short>(float): round half to even, then clamp.
        private static int Coefficient(float weight) =>
            (int)Math.Clamp(MathF.Round(weight * CoefScale, MidpointRounding.ToEven), short.MinValue, short.MaxValue);
    }

    /// <summary>
    /// Produces destination rows one at a time, keeping the last two horizontally resized source rows
    /// (OpenCV's ring buffer), so consecutive rows cost one horizontal pass per new source row.
    /// Not thread-safe; one per worker.
    /// </summary>
    internal sealed class RowResizer : IDisposable
    {
        private readonly Plan _plan;
        private readonly int[] _bufA;
        private readonly int[] _bufB;
        private int _rowA = -1;
        private int _rowB = -1;

        public RowResizer(Plan plan)
        {
            _plan = plan;
            _bufA = ArrayPool<int>.Shared.Rent(plan.DstWidth * 3);
            _bufB = ArrayPool<int>.Shared.Rent(plan.DstWidth * 3);
        }

        public void ProduceRow(ReadOnlySpan<byte> src, int dy, Span<byte> dstRow)
        {
            var n = _plan.DstWidth * 3;
            ReadOnlySpan<int> s0 = HorizontalRow(src, _plan.Y0[dy]).AsSpan(0, n);
            ReadOnlySpan<int> s1 = HorizontalRow(src, _plan.Y1[dy]).AsSpan(0, n);
            int b0 = _plan.Beta0[dy], b1 = _plan.Beta1[dy];
            for (var x = 0; x < n; x++)
            {
                // OpenCV's uchar specialisation of VResizeLinear (SIMD lanes and scalar tail alike):
                // v_mul_hi on int16 lanes = the arithmetic high half of the 32-bit product.
                var v = (((s0[x] >> 4) * b0) >> 16) + (((s1[x] >> 4) * b1) >> 16);
                dstRow[x] = (byte)((v + 2) >> 2);
            }
        }

        private int[] HorizontalRow(ReadOnlySpan<byte> src, int sy)
        {
            if (sy == _rowA) return _bufA;
            if (sy == _rowB) return _bufB;
            // Rows only move forward: overwrite whichever cached row is older.
            int[] target;
            if (_rowA < _rowB)
            {
                target = _bufA;
                _rowA = sy;
            }
            else
            {
                target = _bufB;
                _rowB = sy;
            }
            var row = src.Slice(sy * _plan.SrcWidth * 3, _plan.SrcWidth * 3);
            int[] x0 = _plan.X0, x1 = _plan.X1, a0 = _plan.Alpha0, a1 = _plan.Alpha1;
            var t = target.AsSpan(0, _plan.DstWidth * 3);
            for (int dx = 0, d = 0; dx < x0.Length; dx++, d += 3)
            {
                int p = x0[dx], q = x1[dx], w0 = a0[dx], w1 = a1[dx];
                t[d] = (row[p] * w0) + (row[q] * w1);
                t[d + 1] = (row[p + 1] * w0) + (row[q + 1] * w1);
                t[d + 2] = (row[p + 2] * w0) + (row[q + 2] * w1);
            }
            return target;
        }

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_bufA);
            ArrayPool<int>.Shared.Return(_bufB);
        }
    }
}
