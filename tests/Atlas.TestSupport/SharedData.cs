
namespace Atlas.TestSupport;

/// <summary>
/// Finds the read-only reference data in <c>../shared/speciesnet</c> (beside the repository root).
/// Tests that need it call <see cref="RequireSpeciesNetDir"/>, which marks the test ignored with a
/// clear message when the folder is absent; the data is never copied into the repository.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> RepoRootLazy = new(FindRepoRoot);

    /// <summary>The folder that holds Atlas.sln, or null when it cannot be found.</summary>
    public static string? RepoRoot => RepoRootLazy.Value;

    /// <summary>The folder that holds Atlas.sln; throws when the tests do not run below it.</summary>
    public static string RequireRepoRoot() =>
        RepoRoot ?? throw new InvalidOperationException("Atlas.sln not found above " + AppContext.BaseDirectory);

    /// <summary><c>../shared/speciesnet</c> next to the repository root, or null when absent.</summary>
    public static string? SpeciesNetDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("ATLAS_SHARED_DIR");
            var root = !string.IsNullOrEmpty(env) ? env : RepoRoot is null ? null : Path.Combine(RepoRoot, "..", "shared");
            if (root is null) return null;
            var dir = Path.GetFullPath(Path.Combine(root, "speciesnet"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    /// <summary>Returns the speciesnet data folder, or ignores the calling test with an explanation.</summary>
    public static string RequireSpeciesNetDir()
    {
        var dir = SpeciesNetDir;
        if (dir is null)
        {
            Assert.Ignore("Reference data ../shared/speciesnet is not present beside the repository (set ATLAS_SHARED_DIR to its parent to run this test).");
        }
        return dir!;
    }

    /// <summary>Full path of a file under ../shared/speciesnet, ignoring the test when the data is absent.</summary>
    public static string RequireFile(params string[] relative)
    {
        var path = Path.Combine([RequireSpeciesNetDir(), .. relative]);
        if (!File.Exists(path)) Assert.Ignore($"Reference file {path} is missing.");
        return path;
    }

    private static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Atlas.sln"))) return dir.FullName;
        }
        return null;
    }
}
