using System.Globalization;
using Atlas.Bench;
using Atlas.Infrastructure.Onnx;

// Usage: atlas-bench [--sections stages,scaled,engine,classifier,http,batch,microbatch,memory,inference,int8,jobs] [--image PATH]
//                    [--labels PATH] [--effnet PATH] [--standins DIR] [--api-dll PATH] [--out DIR]
// Run through bench/run.sh, which builds Release and passes the paths.
var options = Args.Parse(args);
var machine = MachineInfo.Read();
Console.WriteLine($"{machine.Cores} x {machine.CpuModel}; {machine.DotNet}; ONNX Runtime {machine.OnnxRuntime}; load {machine.LoadAverageStart}");

byte[] jpeg;
string imageName;
if (File.Exists(options.Image))
{
    jpeg = File.ReadAllBytes(options.Image);
    imageName = Path.GetFileName(options.Image);
}
else
{
    Console.WriteLine($"{options.Image} not found (../shared is absent?): using a synthetic 2048x1536 JPEG instead.");
    jpeg = SyntheticInputs.Jpeg();
    imageName = "synthetic 2048x1536 JPEG";
    Directory.CreateDirectory(options.Out);
    File.WriteAllBytes(Path.Combine(options.Out, "synthetic.jpg"), jpeg); // for bench/models/reference.py
}

Console.WriteLine($"Image: {imageName} ({jpeg.Length / 1024} KiB)");
var onnx = new OnnxRuntimeOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }.WithEnvironment();
var report = new Report();
report.Line($"Input image: {imageName}, {jpeg.Length / 1024} KiB. ONNX Runtime provider preference: {onnx.ExecutionProvider}.");

if (options.Wants("stages"))
{
    Console.WriteLine("1. stages");
    foreach (var m in StageBenchmarks.Run(jpeg, onnx)) report.Add(m);
}

if (options.Wants("scaled"))
{
    Console.WriteLine("1b. scaled JPEG decode");
    foreach (var m in ScaledDecodeBenchmark.Run(jpeg, imageName, onnx, Path.Combine(options.StandIns, "yolov5x6_standin.onnx"), report)) report.Add(m);
}

if (options.Wants("engine"))
{
    Console.WriteLine("2. engine, demo bundle");
    foreach (var m in EngineBenchmarks.RunDemo(jpeg, onnx, report)) report.Add(m);
}

if (options.Wants("classifier"))
{
    Console.WriteLine("3. real-size classifier");
    if (File.Exists(options.EffNet))
    {
        foreach (var m in EngineBenchmarks.RunRealClassifier(jpeg, options.EffNet, options.Labels, onnx, report)) report.Add(m);
    }
    else
    {
        report.Line($"Section 3 skipped: {options.EffNet} not found. Export it with /usr/bin/python3 bench/models/export_effnetv2m.py.");
    }
}

if (options.Wants("http"))
{
    Console.WriteLine("4. HTTP");
    if (options.ApiDll is not null && File.Exists(options.ApiDll))
    {
        Directory.CreateDirectory(options.Out);
        try
        {
            foreach (var m in await HttpBenchmark.RunAsync(jpeg, options.ApiDll, Path.Combine(options.Out, "service.log"), report).ConfigureAwait(false)) report.Add(m);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException)
        {
            report.Line($"Section 4 failed: {ex.Message}");
        }
    }
    else
    {
        report.Line($"Section 4 skipped: Atlas.Api.dll not found at '{options.ApiDll}' (pass --api-dll; bench/run.sh does).");
    }
}

if (options.Wants("batch"))
{
    Console.WriteLine("5. HTTP /v1/predictions batch memory");
    if (options.ApiDll is not null && File.Exists(options.ApiDll))
    {
        Directory.CreateDirectory(options.Out);
        try
        {
            // ATLAS_BENCH_BATCH_SIZES=20,200,800 picks other sizes; ATLAS_BENCH_BATCH_GC=workstation|server (default: the service's own).
            int[] sizes = Environment.GetEnvironmentVariable("ATLAS_BENCH_BATCH_SIZES") is { Length: > 0 } list
                ? [.. list.Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))]
                : [20, 100, 200, 400, 800];
            await BatchBenchmark.RunAsync(jpeg, options.ApiDll, Path.Combine(options.Out, "service-batch.log"), report, sizes).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException)
        {
            report.Line($"Section 5 failed: {ex.Message}");
        }
    }
    else
    {
        report.Line($"Section 5 skipped: Atlas.Api.dll not found at '{options.ApiDll}' (pass --api-dll; bench/run.sh does).");
    }
}

if (options.Wants("inference"))
{
    Console.WriteLine("8. inference on the stand-ins");
    if (File.Exists(Path.Combine(options.StandIns, "yolov5x6_standin.onnx")) && File.Exists(Path.Combine(options.StandIns, "effnetv2m_2498.onnx")))
    {
        foreach (var m in StandInInferenceBenchmark.Run(options.StandIns, onnx)) report.Add(m);
    }
    else
    {
        report.Line($"Section 8 skipped: no stand-ins in {options.StandIns} (bench/models/build_standins.py).");
    }
}

if (options.Wants("int8"))
{
    Console.WriteLine("10. int8 vs fp32 on the stand-ins");
    string[] standInNames = ["effnetv2m_2498", "yolov5x6_standin"];
    var haveModels = standInNames.All(m => File.Exists(Path.Combine(options.StandIns, m + ".onnx")) && File.Exists(Path.Combine(options.StandIns, m + ".int8.onnx")));
    var imageDir = Path.GetDirectoryName(Path.GetFullPath(options.Image))!;
    var images = Directory.Exists(imageDir) ? Directory.GetFiles(imageDir, "*.jpg").Order(StringComparer.Ordinal).ToList() : [];
    if (!haveModels)
    {
        report.Line($"Section 10 skipped: no fp32 + int8 stand-ins in {options.StandIns} (bench/run.sh builds them with tools/convert/quantize_int8.py).");
    }
    else if (images.Count < 3)
    {
        report.Line($"Section 10 skipped: fewer than 3 JPEGs beside {options.Image} (../shared/speciesnet/images absent?).");
    }
    else
    {
        foreach (var m in Int8Benchmark.Run(options.StandIns, images, onnx, report)) report.Add(m);
    }
}

if (options.Wants("microbatch") || options.Wants("memory"))
{
    if (options.ApiDll is not null && File.Exists(options.ApiDll))
    {
        Directory.CreateDirectory(options.Out);
        try
        {
            if (options.Wants("microbatch"))
            {
                Console.WriteLine("6. HTTP /uploadfile/, micro-batching on vs off");
                var standIns = File.Exists(Path.Combine(options.StandIns, "yolov5x6_standin.onnx")) && File.Exists(Path.Combine(options.StandIns, "effnetv2m_2498.onnx")) ? options.StandIns : null;
                await MicroBatchBenchmark.RunAsync(jpeg, options.ApiDll, options.Out, standIns, report, quick: false).ConfigureAwait(false);
            }
            if (options.Wants("memory"))
            {
                Console.WriteLine("7. service memory");
                await MicroBatchBenchmark.RunMemoryAsync(jpeg, options.ApiDll, options.Out, report).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException)
        {
            report.Line($"Sections 6-7 failed: {ex.Message}");
        }
    }
    else
    {
        report.Line($"Sections 6-7 skipped: Atlas.Api.dll not found at '{options.ApiDll}' (pass --api-dll; bench/run.sh does).");
    }
}

if (options.Wants("jobs"))
{
    Console.WriteLine("9. HTTP /v1/jobs: embedded, and RabbitMQ + PostgreSQL with 1 and 2 workers");
    if (options.ApiDll is not null && File.Exists(options.ApiDll))
    {
        Directory.CreateDirectory(options.Out);
        try
        {
            // ATLAS_BENCH_JOB_SIZES=200,2000 (small, large): the job sizes compared for the API's peak RSS.
            int[] sizes = Environment.GetEnvironmentVariable("ATLAS_BENCH_JOB_SIZES") is { Length: > 0 } list
                ? [.. list.Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))]
                : [200, 2000];
            await JobsBenchmark.RunAsync(jpeg, options.ApiDll, Path.Combine(options.Out, "service-jobs.log"), report, sizes[0], sizes[^1]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or TaskCanceledException)
        {
            report.Line($"Section 9 failed: {ex.Message}");
        }
    }
    else
    {
        report.Line($"Section 9 skipped: Atlas.Api.dll not found at '{options.ApiDll}' (pass --api-dll; bench/run.sh does).");
    }
}

report.Write(options.Out, machine, Comparisons.From(report.Measurements));
Console.WriteLine($"Wrote {Path.Combine(options.Out, "results.md")} and results.json");

internal sealed record Args(HashSet<string> Sections, string Image, string? Labels, string EffNet, string? ApiDll, string Out, string StandIns)
{
    /// <summary>Where bench/models/build_standins.py caches the stand-in models (outside git).</summary>
    public static string DefaultStandIns =>
        Environment.GetEnvironmentVariable("ATLAS_BENCH_CACHE") is { Length: > 0 } cache ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "atlas-bench");

    public bool Wants(string section) => Sections.Count == 0 || Sections.Contains(section);

    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            values[args[i][2..]] = args[i + 1];
        }

        if (args.Length % 2 != 0) throw new ArgumentException($"option '{args[^1]}' needs a value");
        string Get(string key, string fallback) => values.TryGetValue(key, out var v) ? v : fallback;
        return new Args(
            [.. Get("sections", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            Get("image", "../shared/speciesnet/images/african_elephants.jpg"),
            Get("labels", "../shared/speciesnet/labels_v4.0.0a_by_frequency.txt"),
            Get("effnet", File.Exists(Path.Combine(DefaultStandIns, "effnetv2m_2498.onnx")) ? Path.Combine(DefaultStandIns, "effnetv2m_2498.onnx") : "bench/models/out/effnetv2m_2498.onnx"),
            values.GetValueOrDefault("api-dll"),
            Get("out", "bench/results"),
            Get("standins", DefaultStandIns));
    }
}

/// <summary>Our numbers next to the reference figures of spec section 8 and architecture.md "Facts checked".</summary>
internal static class Comparisons
{
    public static IEnumerable<string> From(IReadOnlyList<Measurement> measurements)
    {
        var inv = CultureInfo.InvariantCulture;
        Measurement? Find(string prefix) => measurements.FirstOrDefault(m => m.Name.StartsWith(prefix, StringComparison.Ordinal));

        if (Find("all pre-processing") is { } pre)
            yield return string.Create(inv, $"Pre-processing (decode + letterbox + crop): {pre.MedianMs:0} ms median vs ≈125 ms for PIL + OpenCV in the reference = {125 / pre.MedianMs:0.0}x faster.");
        if (Find("decode") is { } decode)
            yield return string.Create(inv, $"Decode: {decode.MedianMs:0} ms median vs ≈19 ms for libjpeg-turbo's djpeg and ≈43 ms for a naive SKBitmap.Decode + resize (architecture.md).");
        if (Find("ClassifierRunner.RunTopK, batch 1") is { } b1)
            yield return string.Create(inv, $"EfficientNetV2-M batch 1: {b1.MedianMs / 1000:0.00} s/image median vs 0.28 s measured for the same architecture in ORT 1.31 on these cores (architecture.md) = {b1.MedianMs / 280:0.00}x; vs 5.4 s in Debian's PyTorch 1.13.");
        if (Find("ClassifierRunner.RunTopK, batch 4") is { } b4 && Find("ClassifierRunner.RunTopK, batch 1") is { } one)
            yield return string.Create(inv, $"Batching: batch 4 costs {b4.MedianMs / 4000:0.00} s/image vs {one.MedianMs / 1000:0.00} s at batch 1 ({one.MedianMs * 4 / b4.MedianMs:0.00}x).");
        if (Find("SpeciesNetEngine.Predict, EfficientNetV2-M + demo detector, 1 caller") is { } e2e)
            yield return string.Create(inv, $"Engine with the real-size classifier (detector still the demo): {1000 / e2e.MedianMs:0.00} images/s; the reference's MegaDetector alone is ≈0.5-0.8 img/s on one desktop core (spec 8), and a real detector would dominate (see the estimate above).");
        if (Find("Predict, 1 caller, intra-op threads") is { } spinOn && measurements.FirstOrDefault(m => m.Name.Contains("1 caller", StringComparison.Ordinal) && m.Name.Contains("spinning off", StringComparison.Ordinal)) is { } spinOff)
            yield return string.Create(inv, $"ORT spinning (demo engine, 1 caller): {spinOn.CpuMsPerOp:0} ms CPU per image with ORT's default busy-waiting pool vs {spinOff.CpuMsPerOp:0} ms with Atlas's default (spinning off) = {spinOn.CpuMsPerOp / spinOff.CpuMsPerOp:0.0}x; median latency {spinOn.MedianMs:0} vs {spinOff.MedianMs:0} ms.");
        if (Find("ClassifierRunner.RunTopK, batch 1, spinning on") is { } effSpin && Find("ClassifierRunner.RunTopK, batch 1") is { } effNoSpin)
            yield return string.Create(inv, $"ORT spinning (EfficientNetV2-M batch 1): {effSpin.CpuMsPerOp:0} ms CPU and {effSpin.MedianMs:0} ms median with spinning vs {effNoSpin.CpuMsPerOp:0} ms CPU and {effNoSpin.MedianMs:0} ms without.");
        if (Find("1 client, cold") is { } cold && Find("1 client, warm") is { } warmHttp)
            yield return string.Create(inv, $"HTTP cold vs warm (1 client): the first 30 requests after start cost {cold.CpuMsPerOp:0} ms service CPU and {cold.MedianMs:0} ms median each, later ones {warmHttp.CpuMsPerOp:0} ms and {warmHttp.MedianMs:0} ms (JIT tiering; see the per-thread split).");
        if (Find("1 client, warm") is { } http && measurements.FirstOrDefault(m => m.Name.Contains("1 caller", StringComparison.Ordinal) && m.Name.Contains("spinning off", StringComparison.Ordinal)) is { } engine)
            yield return string.Create(inv, $"HTTP overhead: the service spends {http.CpuMsPerOp:0} ms CPU per /uploadfile/ request (1 client) vs {engine.CpuMsPerOp:0} ms for SpeciesNetEngine.Predict in-process; latency {http.MedianMs:0} vs {engine.MedianMs:0} ms median.");
        if (measurements.FirstOrDefault(m => m.Name.Contains("1 caller", StringComparison.Ordinal) && m.Name.Contains("spinning off", StringComparison.Ordinal)) is { } demo)
            yield return string.Create(inv, $"Engine on the demo bundle (models ≈free, so this is Atlas's own overhead per image): {demo.MedianMs:0} ms, {1000 / demo.MedianMs:0.0} images/s on one caller.");
    }
}
