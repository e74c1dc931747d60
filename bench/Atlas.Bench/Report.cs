using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Atlas.Bench;

/// <summary>Collects measurements and free-text observations; writes results.md (tables) and results.json.</summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly List<Measurement> _measurements = [];
    private readonly List<string> _lines = [];

    public IReadOnlyList<Measurement> Measurements => _measurements;

    public void Add(Measurement m)
    {
        _measurements.Add(m);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {m.Name}: median {m.MedianMs:0.00} ms, p90 {m.P90Ms:0.00} ms, CPU {m.CpuMsPerOp:0.00} ms/op, n={m.Iterations}, {m.Throughput:0.00}/s, {Bytes(m.AllocatedBytesPerOp)}/op{(m.Note is null ? "" : " | " + m.Note)}"));
    }

    public void Line(string text)
    {
        _lines.Add(text);
        Console.WriteLine("  " + text);
    }

    public void Write(string directory, MachineInfo machine, IEnumerable<string> comparisons)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"Measured {machine.Date} on {machine.Cores} x {machine.CpuModel}, {machine.Os}, {machine.DotNet}, ONNX Runtime {machine.OnnxRuntime}.");
        md.AppendLine(inv, $"Load average at start {machine.LoadAverageStart}, at end {MachineInfo.LoadAverage()}.");
        foreach (var section in _measurements.GroupBy(m => m.Section))
        {
            md.AppendLine().AppendLine(inv, $"### {section.Key}").AppendLine();
            md.AppendLine("| benchmark | n | median ms | p90 ms | min ms | CPU ms/op | ops/s | managed alloc/op | GC 0/1/2 | notes |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
            foreach (var m in section)
            {
                md.AppendLine(inv, $"| {m.Name} | {m.Iterations} | {m.MedianMs:0.00} | {m.P90Ms:0.00} | {m.MinMs:0.00} | {m.CpuMsPerOp:0.0} | {m.Throughput:0.00} | {(m.Section.StartsWith('4') ? "-" : Bytes(m.AllocatedBytesPerOp))} | {m.Gen0}/{m.Gen1}/{m.Gen2} | {m.Note} |");
            }
        }

        md.AppendLine().AppendLine("### Comparisons").AppendLine();
        foreach (var c in comparisons) md.AppendLine(inv, $"- {c}");
        md.AppendLine().AppendLine("### Observations").AppendLine();
        foreach (var line in _lines) md.AppendLine(inv, $"- {line}");

        File.WriteAllText(Path.Combine(directory, "results.md"), md.ToString());
        File.WriteAllText(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(
            new { machine, measurements = _measurements, observations = _lines }, Indented));
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB"),
    };
}
