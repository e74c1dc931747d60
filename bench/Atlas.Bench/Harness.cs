using System.Collections.Concurrent;
using System.Diagnostics;

namespace Atlas.Bench;

/// <summary>
/// One benchmark result: latency statistics over the measured calls, calls per second of wall-clock time (for
/// concurrent runs: all callers together), and managed bytes allocated per call (GC.GetAllocatedBytesForCurrentThread
/// for single-threaded runs, process-wide for concurrent ones; native memory of Skia and ONNX Runtime is not included)
/// with the GC collections seen while measuring. CPU ms per call is the whole process's user+system CPU time
/// (every thread: ONNX Runtime's pool, the GC, the JIT) divided by the calls; on a shared, overloaded VM it moves
/// far less than wall-clock time, and CPU time above wall time shows parallelism (or threads spinning).
/// </summary>
internal sealed record Measurement(
    string Section,
    string Name,
    int Callers,
    int Iterations,
    double MedianMs,
    double P90Ms,
    double MinMs,
    double MeanMs,
    double Throughput,
    long AllocatedBytesPerOp,
    double CpuMsPerOp,
    int Gen0,
    int Gen1,
    int Gen2,
    string? Note = null);

/// <summary>
/// A small timing harness: warm-up calls, then up to N timed calls (stopping early once a time budget is spent,
/// but never with fewer than 3 samples), reporting median, p90, min and mean. Chosen over BenchmarkDotNet because
/// the same statistics must cover microsecond stages, second-long model runs and concurrent callers in one
/// process and one results file; see BENCHMARKS.md.
/// </summary>
internal static class Harness
{
    private const int MinimumSamples = 3;

    public static Measurement Measure(string section, string name, Action action, int warmup, int iterations, TimeSpan budget, string? note = null)
    {
        for (var i = 0; i < warmup; i++) action();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var samples = new List<double>(iterations);
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = CpuTime();
        var wall = Stopwatch.StartNew();
        while (samples.Count < iterations && (samples.Count < MinimumSamples || wall.Elapsed < budget))
        {
            var started = Stopwatch.GetTimestamp();
            action();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var elapsed = wall.Elapsed;
        var cpu = CpuTime() - cpuBefore;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return Summarise(section, name, 1, samples, elapsed, cpu, allocated,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, note);
    }

    /// <summary>
    /// <paramref name="callers"/> threads call <paramref name="action"/> until <paramref name="operations"/> calls
    /// have started in total (or the budget is spent); throughput is total calls over wall-clock time. The same
    /// threads warm up and measure, so per-thread caches (ArrayPool's thread-local buffers) are already filled.
    /// </summary>
    public static Measurement MeasureConcurrent(string section, string name, int callers, Action action, int warmupPerCaller, int operations, TimeSpan budget, string? note = null)
    {
        var samples = new ConcurrentQueue<double>();
        var started = 0;
        long allocated = 0;
        var wall = new Stopwatch();
        var (gen0, gen1, gen2) = (0, 0, 0);
        var cpuBefore = TimeSpan.Zero;
        using var ready = new Barrier(callers, _ =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            cpuBefore = CpuTime();
            wall.Start();
        });
        RunThreads(callers, () =>
        {
            for (var i = 0; i < warmupPerCaller; i++) action();
            ready.SignalAndWait();
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            while (true)
            {
                var n = Interlocked.Increment(ref started);
                if (n > operations || (n > MinimumSamples * callers && wall.Elapsed >= budget)) break;
                var t = Stopwatch.GetTimestamp();
                action();
                samples.Enqueue(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
        });
        var elapsed = wall.Elapsed;
        var cpu = CpuTime() - cpuBefore;
        return Summarise(section, name, callers, [.. samples], elapsed, cpu, allocated,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, note);
    }

    public static Measurement Summarise(string section, string name, int callers, IReadOnlyCollection<double> samples, TimeSpan wall,
        TimeSpan cpu, long allocatedBytes, int gen0, int gen1, int gen2, string? note)
    {
        var sorted = samples.Order().ToArray();
        var n = Math.Max(1, sorted.Length);
        return new Measurement(section, name, callers, sorted.Length,
            Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted.Length > 0 ? sorted[0] : double.NaN,
            sorted.Length > 0 ? sorted.Average() : double.NaN,
            sorted.Length / wall.TotalSeconds, allocatedBytes / n, cpu.TotalMilliseconds / n, gen0, gen1, gen2, note);
    }

    /// <summary>Linear interpolation between closest ranks (the "R7"/NumPy default definition).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }

    /// <summary>User + system CPU time of this process so far, all threads.</summary>
    public static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static void RunThreads(int count, Action body)
    {
        var threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            threads[i] = new Thread(() => body()) { IsBackground = true, Name = $"bench-caller-{i}" };
            threads[i].Start();
        }

        foreach (var thread in threads) thread.Join();
    }
}
