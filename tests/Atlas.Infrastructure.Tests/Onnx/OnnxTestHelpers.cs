using Atlas.Infrastructure.Onnx;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Tests.Onnx;

/// <summary>Records log entries so tests can count warnings.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
    }
}

internal static class OnnxTestHelpers
{
    /// <summary>A CPU-only factory: fast, and the same on every machine.</summary>
    public static OnnxSessionFactory CpuFactory() =>
        new(new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }, new ListLogger<OnnxSessionFactory>());

    /// <summary>An NCHW [1,3,h,w] tensor of one colour (values 0..1).</summary>
    public static float[] Nchw(int height, int width, float r, float g, float b)
    {
        var plane = height * width;
        var data = new float[3 * plane];
        data.AsSpan(0, plane).Fill(r);
        data.AsSpan(plane, plane).Fill(g);
        data.AsSpan(2 * plane, plane).Fill(b);
        return data;
    }

    /// <summary>Paints one 64x64 cell (row, col) of an NCHW tensor.</summary>
    public static void PaintCell(float[] nchw, int height, int width, int row, int col, float r, float g, float b)
    {
        var plane = height * width;
        for (var y = row * 64; y < row * 64 + 64; y++)
        {
            for (var x = col * 64; x < col * 64 + 64; x++)
            {
                nchw[y * width + x] = r;
                nchw[plane + y * width + x] = g;
                nchw[2 * plane + y * width + x] = b;
            }
        }
    }

    /// <summary>NHWC [batch,480,480,3] crops, crop i filled with colours[i] (bytes, divided by 255).</summary>
    public static float[] Nhwc(params (byte R, byte G, byte B)[] colours)
    {
        const int pixels = 480 * 480;
        var data = new float[colours.Length * pixels * 3];
        for (var i = 0; i < colours.Length; i++)
        {
            var (r, g, b) = (colours[i].R / 255f, colours[i].G / 255f, colours[i].B / 255f);
            var image = data.AsSpan(i * pixels * 3, pixels * 3);
            for (var p = 0; p < pixels; p++)
            {
                image[3 * p] = r;
                image[3 * p + 1] = g;
                image[3 * p + 2] = b;
            }
        }

        return data;
    }
}
