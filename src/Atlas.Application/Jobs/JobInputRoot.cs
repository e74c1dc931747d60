using Atlas.Domain.Jobs;

namespace Atlas.Application.Jobs;

/// <summary>
/// The read-only folder that path submissions name (<c>JOBS_INPUT_ROOT</c>). A path is accepted only when it, and
/// every symbolic link on the way to it, stays inside the root; <c>..</c>, absolute paths elsewhere and links that
/// point out are refused. Checked at submission and again when a worker opens the file.
/// </summary>
public static class JobInputRoot
{
    /// <summary>Prefix of a <see cref="JobImage.Source"/> that is a file under the input root (else a staging key).</summary>
    public const string PathPrefix = "path:";

    public static bool IsPathSource(string source) => source.StartsWith(PathPrefix, StringComparison.Ordinal);

    /// <summary>The root with its own links resolved, ending without a separator.</summary>
    public static string RealRoot(string root)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName));
        }
        return full;
    }

    /// <summary>
    /// Resolves <paramref name="path"/> (relative to the root, or absolute inside it) to a real path inside the root,
    /// following links; null with <paramref name="problem"/> set when it leaves the root or does not exist.
    /// </summary>
    public static string? Resolve(string realRoot, string path, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            problem = "is empty or not a valid path.";
            return null;
        }
        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(realRoot, path));
        if (!Inside(realRoot, full))
        {
            problem = "is outside JOBS_INPUT_ROOT.";
            return null;
        }

        // Walk the components below the root, replacing each link by its final target, which must stay inside.
        var current = realRoot;
        var rest = Path.GetRelativePath(realRoot, full);
        if (rest == ".") return realRoot;
        foreach (var segment in rest.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !Inside(realRoot, Path.GetFullPath(target.FullName)))
            {
                problem = "is outside JOBS_INPUT_ROOT (through a symbolic link).";
                return null;
            }
            current = Path.GetFullPath(target.FullName);
        }
        if (!File.Exists(current) && !Directory.Exists(current))
        {
            problem = "does not exist under JOBS_INPUT_ROOT.";
            return null;
        }
        return current;
    }

    private static bool Inside(string root, string full)
    {
        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return full.Length > prefix.Length && full.StartsWith(prefix, StringComparison.Ordinal);
    }
}
