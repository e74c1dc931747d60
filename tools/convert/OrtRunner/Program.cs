using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

// Usage: OrtRunner [--cuda] MODEL.onnx IN.npy OUT.npy [IN.npy OUT.npy ...]
// Feeds each float32 .npy to the model's only input and writes the first output as a float32
// .npy. Runs on the CPU provider, or with --cuda on CUDA device 0 (no silent CPU fallback, so a
// GPU check is a real one). Prints one JSON line describing the runtime and the model's I/O.
bool cuda = args.Length > 0 && args[0] == "--cuda";
string[] rest = cuda ? args[1..] : args;
if (rest.Length < 3 || rest.Length % 2 == 0)
{
    await Console.Error.WriteLineAsync("usage: OrtRunner [--cuda] MODEL.onnx IN.npy OUT.npy [IN.npy OUT.npy ...]").ConfigureAwait(false);
    return 2;
}

try
{
    using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    if (cuda)
    {
        options.AppendExecutionProvider_CUDA(0);
    }

    using var session = new InferenceSession(rest[0], options);
    if (session.InputMetadata.Count != 1)
    {
        await Console.Error.WriteLineAsync($"expected one model input, found {session.InputMetadata.Count}").ConfigureAwait(false);
        return 2;
    }

    string inputName = session.InputNames[0];
    string outputName = session.OutputNames[0];
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["ort_version"] = OrtEnv.Instance().GetVersionString(),
        ["provider"] = cuda ? "CUDAExecutionProvider" : "CPUExecutionProvider",
        ["inputs"] = session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions),
        ["outputs"] = session.OutputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions),
    }));

    for (int i = 1; i < rest.Length; i += 2)
    {
        var (shape, data) = Npy.ReadFloat32(rest[i]);
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [input], [outputName]);
        var output = outputs[0];
        long[] outShape = output.GetTensorTypeAndShape().Shape;
        Npy.WriteFloat32(rest[i + 1], outShape, output.GetTensorDataAsSpan<float>());
    }
}
catch (OnnxRuntimeException ex)
{
    await Console.Error.WriteLineAsync($"onnxruntime: {ex.Message}").ConfigureAwait(false);
    return 1;
}

return 0;

/// <summary>Minimal reader/writer for little-endian float32, C-order .npy files (format 1.0-3.0).</summary>
internal static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static (long[] Shape, float[] Data) ReadFloat32(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path}: not a .npy file");
        }

        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: only little-endian float32 C-order arrays are supported ({header.Trim()})");
        }

        int open = header.IndexOf('(', StringComparison.Ordinal);
        int close = header.IndexOf(')', open);
        long[] shape = header[(open + 1)..close]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * sizeof(float))
        {
            throw new InvalidDataException($"{path}: expected {count} floats after the header");
        }

        var data = new float[count];
        Buffer.BlockCopy(bytes, dataStart, data, 0, (int)(count * sizeof(float)));
        return (shape, data);
    }

    public static void WriteFloat32(string path, long[] shape, ReadOnlySpan<float> data)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 10 + dict.Length + 1;
        int padding = (64 - (unpadded % 64)) % 64;
        string header = dict + new string(' ', padding) + "\n";

        using var stream = File.Create(path);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
    }
}
