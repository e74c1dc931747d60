using System.Buffers;

namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// An upright 8-bit RGB image, pixels interleaved row by row (R,G,B,R,G,B,...; stride = 3 x width).
/// The pixel buffer is rented from <see cref="ArrayPool{T}.Shared"/> because decoded camera-trap
/// images are 10-40 MB each and would otherwise churn the large-object heap; dispose it when done.
/// Reading <see cref="Pixels"/> from several threads at once is safe; disposing while reading is not.
/// </summary>
public sealed class RgbImage : IDisposable
{
    /// <summary>Largest pixel count whose RGB buffer still fits one .NET array.</summary>
    public const long MaxPixelCount = int.MaxValue / 3;

    private byte[]? _buffer;

    private RgbImage(int width, int height, byte[] buffer)
    {
        Width = width;
        Height = height;
        _buffer = buffer;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Bytes per row (3 x <see cref="Width"/>).</summary>
    public int Stride => Width * 3;

    /// <summary>The interleaved RGB bytes, exactly <c>Width * Height * 3</c> long.</summary>
    public Span<byte> Pixels
    {
        get
        {
            var buffer = _buffer;
            ObjectDisposedException.ThrowIf(buffer is null, this);
            return buffer.AsSpan(0, Width * Height * 3);
        }
    }

    /// <summary>Rents a buffer for a <paramref name="width"/> x <paramref name="height"/> image; contents are undefined.</summary>
    public static RgbImage Allocate(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height > MaxPixelCount)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} pixels do not fit one RGB buffer.");
        }
        return new RgbImage(width, height, ArrayPool<byte>.Shared.Rent(width * height * 3));
    }

    /// <summary>Returns the pixel buffer to the pool. Safe to call more than once.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
