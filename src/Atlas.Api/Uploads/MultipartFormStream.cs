using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Uploads;

/// <summary>One file part of a streamed form: its field, its <c>filepath</c> (<see cref="BatchIntake.BatchFileName"/>), declared type and body.</summary>
internal sealed record MultipartFilePart(string Field, string FileName, string? ContentType, Stream Body);

/// <summary>
/// The multipart/form-data loop the many-image routes share (<c>/v1/predictions</c>, <c>/v1/jobs</c>): parts are read
/// one at a time from the request stream; text fields must all come before the first file, be known and be given once;
/// each file part is handed to the caller, with the text fields read so far, before the next part is read.
/// </summary>
internal static class MultipartFormStream
{
    /// <summary>
    /// Reads the whole body. <paramref name="refuse"/> may refuse a known-looking field with its own message (null to
    /// accept). Returns the text fields and whether any file part came.
    /// </summary>
    public static async Task<(Dictionary<string, string> Fields, bool AnyFile)> ReadAsync(
        Stream body,
        string boundary,
        IReadOnlySet<string> allowed,
        Func<string, string?>? refuse,
        Func<IReadOnlyDictionary<string, string>, MultipartFilePart, Task> onFile,
        CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(boundary, body)
        {
            HeadersCountLimit = 16,
            HeadersLengthLimit = 16 * 1024,
            BodyLengthLimit = null,
        };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var anyFile = false;
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            var disposition = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var parsed) ? parsed : null;
            if (disposition is null || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw BatchIntake.Invalid("request", "Every multipart part needs a Content-Disposition: form-data header.");
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
            if (string.IsNullOrEmpty(fileName) && !disposition.FileName.HasValue && !disposition.FileNameStar.HasValue)
            {
                if (anyFile) throw BatchIntake.Invalid(name, $"The text field '{name}' comes after the first file; send every option and the metadata part before the files.");
                if (refuse?.Invoke(name) is { } refusal) throw BatchIntake.Invalid(name, refusal);
                if (!allowed.Contains(name)) throw BatchIntake.Invalid(name, $"Unknown field '{name}'. Fields: {string.Join(", ", allowed)}; images go in file parts.");
                if (fields.ContainsKey(name)) throw BatchIntake.Invalid(name, $"The field '{name}' is given more than once.");
                fields[name] = await BatchIntake.ReadTextAsync(section.Body, name, cancellationToken).ConfigureAwait(false);
                continue;
            }

            anyFile = true;
            await onFile(fields, new MultipartFilePart(name, BatchIntake.BatchFileName(fileName), section.ContentType, section.Body)).ConfigureAwait(false);
        }
        return (fields, anyFile);
    }
}
