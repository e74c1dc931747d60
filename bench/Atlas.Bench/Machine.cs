using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Atlas.Bench;

/// <summary>What the numbers were measured on, read from /proc and the runtimes.</summary>
internal sealed record MachineInfo(string Date, int Cores, string CpuModel, string Os, string DotNet, string OnnxRuntime, string LoadAverageStart)
{
    public static MachineInfo Read() => new(
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        Environment.ProcessorCount,
        ReadCpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        OrtEnv.Instance().GetVersionString(),
        LoadAverage());

    /// <summary>1, 5 and 15-minute load averages: above the core count, other processes were competing for the CPU.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string ReadCpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return RuntimeInformation.ProcessArchitecture.ToString();
        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}

/// <summary>Resident memory of a process from /proc/PID/status (VmRSS now, VmHWM = peak).</summary>
internal readonly record struct ProcessMemory(long RssBytes, long PeakRssBytes)
{
    public static ProcessMemory Read(int pid)
    {
        var path = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(path)) return new ProcessMemory(-1, -1);
        long rss = -1, peak = -1;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
        }

        return new ProcessMemory(rss, peak);
    }

    public static ProcessMemory Current() => Read(Environment.ProcessId);

    public override string ToString() => $"RSS {Mib(RssBytes)} (peak {Mib(PeakRssBytes)})";

    public static string Mib(long bytes) => bytes < 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0} MiB");

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

/// <summary>
/// CPU time per thread name of a process from /proc/PID/task/*/stat (utime + stime, in USER_HZ = 100 ticks per
/// second, Linux's fixed userspace value): tells request-handling threads from the JIT's tiering thread and the GC.
/// </summary>
internal static class ThreadCpu
{
    public static Dictionary<string, double> ReadMilliseconds(int pid)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        if (!Directory.Exists(tasks)) return result;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[name] = result.GetValueOrDefault(name) + (ticks * 10.0);
            }
            catch (IOException)
            {
                // the thread exited between listing and reading
            }
        }

        return result;
    }

    /// <summary>"name N ms, ..." per call for the threads that used at least 1 ms per call, busiest first.</summary>
    public static string PerCall(Dictionary<string, double> before, Dictionary<string, double> after, int calls) =>
        string.Join(", ", after
            .Select(kv => (Name: kv.Key, Ms: (kv.Value - before.GetValueOrDefault(kv.Key)) / Math.Max(1, calls)))
            .Where(t => t.Ms >= 1)
            .OrderByDescending(t => t.Ms)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} {t.Ms:0}")));
}
