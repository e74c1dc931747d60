using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// Staged job images as files under <c>{DataDir}/staging/{jobId}/{index}</c> (a shared volume when workers run
/// elsewhere). A file is written under a temporary name and renamed, so a worker never reads half an image.
/// </summary>
public sealed class FileJobStaging(IOptions<JobsOptions> options) : IJobStaging
{
    private string Root => Path.Combine(options.Value.DataDirFullPath, "staging");

    public async Task<string> StageAsync(string jobId, int index, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var key = $"{CheckId(jobId)}/{index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)}";
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".part";
        var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        File.Move(temporary, path, overwrite: true);
        return key;
    }

    public Task<Stream> OpenAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true));

    public Task DeleteJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(Root, CheckId(jobId));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 2 || parts[1].Length == 0 || !parts[1].All(char.IsAsciiDigit)) throw new ArgumentException($"'{key}' is not a staging key.", nameof(key));
        return Path.Combine(Root, CheckId(parts[0]), parts[1]);
    }

    private static string CheckId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId) || !jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{jobId}' is not a job id.", nameof(jobId));
        }
        return jobId;
    }
}
