using System.Runtime.InteropServices;

namespace Atlas.Infrastructure.Onnx;

/// <summary>
/// Checks, before ONNX Runtime is asked for the CUDA execution provider (and after
/// <see cref="OnnxSessionFactory"/>'s driver check), that the CUDA runtime libraries its CUDA provider links against
/// can be loaded. Without this check ORT's own logger prints a red <c>[E:onnxruntime:...]</c> line to
/// stderr (in the middle of the JSON log) on every start of a machine without CUDA; with it Atlas only logs its one
/// Warning. The list is the CUDA runtime part (the driver's <c>libcuda.so.1</c> is checked before) of <c>libonnxruntime_providers_cuda.so</c>'s NEEDED entries (ORT GPU 1.31,
/// CUDA 13); a library is looked for where the loader looks and beside the provider (its RUNPATH is <c>$ORIGIN</c>).
/// Linux only: elsewhere ORT is asked directly.
/// </summary>
public static class CudaLibraryProbe
{
    /// <summary>The CUDA libraries ORT's CUDA provider needs at load time.</summary>
    public static readonly IReadOnlyList<string> LinuxLibraries =
        ["libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10"];

    /// <summary>The libraries that cannot be loaded (empty when all can, or when not on Linux).</summary>
    public static IReadOnlyList<string> MissingLibraries()
    {
        if (!OperatingSystem.IsLinux()) return [];
        return LinuxLibraries.Where(library => !CanLoad(library)).ToArray();
    }

    private static bool CanLoad(string library)
    {
        foreach (var candidate in Candidates(library))
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                NativeLibrary.Free(handle);
                return true;
            }
        }
        return false;
    }

    private static IEnumerable<string> Candidates(string library)
    {
        yield return library;
        var baseDirectory = AppContext.BaseDirectory;
        yield return Path.Combine(baseDirectory, library);
        yield return Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", library);
        yield return Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", library);
    }
}
