using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Application.Images;
using Atlas.Application.Jobs;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.Errors;
using Atlas.Domain.Jobs;
using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.GZip;
using ICSharpCode.SharpZipLib.Tar;
using ICSharpCode.SharpZipLib.Zip;
using Mediator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Uploads;

/// <summary>
/// Reads a <c>POST /v1/jobs</c> body into a <see cref="SubmitJobCommand"/>, staging every image on disk as it
/// arrives (memory holds one buffer, never an image set):
/// <list type="bullet">
/// <item><c>multipart/form-data</c> as <c>/v1/predictions</c> takes it (text fields first, <c>metadata</c>, one file
/// part per image) plus <c>webhook_url</c>; a file part that is a zip or (gzipped) tar archive is read entry by entry
/// straight from the request stream, each entry staged as one image named by its path in the archive;</item>
/// <item><c>application/json</c> <c>{"paths": [...]}</c>: files (or folders, walked recursively) under
/// <c>JOBS_INPUT_ROOT</c>, nothing staged; a path outside the root, also through a symbolic link, is refused.</item>
/// </list>
/// Per-image problems (an empty, oversized or non-image file) become that image's failure, as in a batch.
/// </summary>
public sealed class JobIntake(IOptions<JobsOptions> jobsOptions, IOptions<UploadOptions> uploadOptions, IJobStaging staging)
{
    /// <summary>The multipart text fields of a job: the batch fields (the format is chosen when fetching results) and <c>webhook_url</c>.</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(
        BatchIntake.Fields.Where(f => f != "format").Append("webhook_url"), StringComparer.Ordinal);

    private static readonly string[] ArchiveTypes = ["application/zip", "application/x-zip-compressed", "application/x-tar", "application/tar", "application/gzip", "application/x-gzip", "application/x-gtar", "application/x-compressed-tar"];

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<SubmitJobCommand> ReadAsync(HttpRequest request, ISender sender, string jobId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limits = jobsOptions.Value;
        if (request.ContentLength > limits.MaxRequestBytes)
        {
            throw new PayloadTooLargeException($"The request body is {request.ContentLength:N0} bytes; /v1/jobs accepts at most {limits.MaxRequestBytes:N0} bytes (JOBS_MAX_REQUEST_BYTES).");
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxRequestBytes;
        }
        var media = MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ? contentType.MediaType.Value ?? string.Empty : string.Empty;
        try
        {
            if (media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) && HeaderUtilities.RemoveQuotes(contentType!.Boundary).Length > 0)
            {
                return await ReadMultipartAsync(request, HeaderUtilities.RemoveQuotes(contentType.Boundary).ToString(), sender, jobId, idempotencyKey, cancellationToken).ConfigureAwait(false);
            }
            if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return await ReadPathsAsync(request, sender, jobId, idempotencyKey, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new PayloadTooLargeException($"The request body exceeds the /v1/jobs limit of {limits.MaxRequestBytes:N0} bytes (JOBS_MAX_REQUEST_BYTES).");
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw BatchIntake.Invalid("request", $"The request body could not be read ({ex.Message}).");
        }
        throw new UnsupportedMediaTypeException("Send a job as multipart/form-data (one file part per image, or a zip/tar archive part) or as application/json {\"paths\": [...]} under JOBS_INPUT_ROOT.");
    }

    private async Task<SubmitJobCommand> ReadMultipartAsync(HttpRequest request, string boundary, ISender sender, string jobId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        BatchPlan? plan = null;
        var images = new List<JobImage>();
        var (fields, _) = await MultipartFormStream.ReadAsync(request.Body, boundary, Fields,
            name => name == "format" ? "A job has no format: choose it when fetching the results (GET /v1/jobs/{id}/results?format=csv)." : null,
            async (formFields, part) =>
            {
                plan ??= await PrepareAsync(sender, formFields, cancellationToken).ConfigureAwait(false);
                if (IsArchive(part.ContentType, part.FileName))
                {
                    await ReadArchiveAsync(request, part.Body, part.FileName, plan, jobId, images, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await StageAsync(part.Body, part.FileName, plan, jobId, images, drain: true, cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);

        if (plan is null)
        {
            await PrepareAsync(sender, fields, cancellationToken).ConfigureAwait(false);
            throw BatchIntake.Invalid("files", "No images: send one or more file parts (curl -F files=@IMG_0001.JPG), an archive part (-F files=@season.zip), or JSON paths.");
        }
        var webhook = fields.TryGetValue("webhook_url", out var w) && !string.IsNullOrWhiteSpace(w) ? w.Trim() : null;
        return new SubmitJobCommand(jobId, idempotencyKey, webhook, plan.Options, plan.Defaults, images);
    }

    private static async Task<BatchPlan> PrepareAsync(ISender sender, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken)
    {
        var withoutWebhook = fields.Where(f => f.Key != "webhook_url").ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        return await sender.Send(BatchIntake.Prepare(withoutWebhook), cancellationToken).ConfigureAwait(false);
    }

    private static bool IsArchive(string? contentType, string fileName)
    {
        var type = MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.Value ?? string.Empty : string.Empty;
        return ArchiveTypes.Contains(type, StringComparer.OrdinalIgnoreCase)
            || fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase)
            || fileName.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Reads a zip or tar (optionally gzipped) archive forward only, from the request stream, staging each regular file
    /// entry as one image; folders, links, and resource forks (<c>__MACOSX/</c>, <c>._*</c>) are skipped.
    /// </summary>
    private async Task ReadArchiveAsync(HttpRequest request, Stream body, string archiveName, BatchPlan plan, string jobId, List<JobImage> images, CancellationToken cancellationToken)
    {
        // SharpZipLib reads synchronously; this route allows it (a thread per archive upload, never a buffered body).
        if (request.HttpContext.Features.Get<IHttpBodyControlFeature>() is { } bodyControl) bodyControl.AllowSynchronousIO = true;
        var magic = new byte[4];
        var peeked = 0;
        while (peeked < magic.Length && await body.ReadAsync(magic.AsMemory(peeked), cancellationToken).ConfigureAwait(false) is var n and > 0) peeked += n;
        var source = new PrefixedStream(magic.AsMemory(0, peeked), body);
        await using (source.ConfigureAwait(false))
        {
            try
            {
                if (peeked >= 2 && magic[0] == 'P' && magic[1] == 'K')
                {
                    using var zip = new ZipInputStream(source) { IsStreamOwner = false };
                    while (zip.GetNextEntry() is { } entry)
                    {
                        if (!entry.IsFile || Skipped(entry.Name)) continue;
                        await StageAsync(zip, BatchIntake.BatchFileName(entry.Name), plan, jobId, images, drain: false, cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    var gzip = peeked >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
                    Stream tarSource = gzip ? new GZipInputStream(source) { IsStreamOwner = false } : source;
                    try
                    {
                        using var tar = new TarInputStream(tarSource, Encoding.UTF8) { IsStreamOwner = false };
                        while (tar.GetNextEntry() is { } entry)
                        {
                            if (entry.IsDirectory || entry.TarHeader.TypeFlag is not (TarHeader.LF_NORMAL or TarHeader.LF_OLDNORM) || Skipped(entry.Name)) continue;
                            await StageAsync(tar, BatchIntake.BatchFileName(entry.Name), plan, jobId, images, drain: false, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        if (gzip) await tarSource.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (SharpZipBaseException ex)
            {
                throw BatchIntake.Invalid("files", $"The archive '{archiveName}' could not be read as zip or tar ({ex.Message}).");
            }
            // Whatever follows the archive's end (padding, a central directory) is read so the next part can follow.
            await body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Skipped(string name)
    {
        var normal = name.Replace('\\', '/');
        return normal.StartsWith("__MACOSX/", StringComparison.Ordinal) || Path.GetFileName(normal).StartsWith("._", StringComparison.Ordinal);
    }

    private async Task StageAsync(Stream content, string fileName, BatchPlan plan, string jobId, List<JobImage> images, bool drain, CancellationToken cancellationToken)
    {
        var max = jobsOptions.Value.MaxImages;
        if (images.Count >= max)
        {
            throw new PayloadTooLargeException($"The job has more than {max:N0} images, the most one job holds (JOBS_MAX_IMAGES); split it.");
        }
        var limit = uploadOptions.Value.MaxFileBytes;
        var capped = new CappedStream(content, limit);
        var key = await staging.StageAsync(jobId, images.Count, capped, cancellationToken).ConfigureAwait(false);
        string? rejection = null;
        if (capped.Exceeded)
        {
            var length = capped.Position;
            if (drain)
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) length += n;
            }
            rejection = drain
                ? $"The file '{fileName}' is {length:N0} bytes; the limit per image is {limit:N0} bytes."
                : $"The file '{fileName}' is more than {limit:N0} bytes, the limit per image.";
        }
        var own = plan.PerImage.TryGetValue(fileName, out var location) ? location : null;
        images.Add(new JobImage(images.Count, fileName, key, rejection, JobResultCodec.EncodeLocation(own)));
    }

    private async Task<SubmitJobCommand> ReadPathsAsync(HttpRequest request, ISender sender, string jobId, string? idempotencyKey, CancellationToken cancellationToken)
    {
        JobPathsRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JobPathsRequest>(request.Body, Json, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw BatchIntake.Invalid("request", $"The JSON body is not valid ({ex.Message}); send {{\"paths\": [\"camera1/IMG_0001.JPG\", \"camera2/\"], \"country\": \"KEN\"}}.");
        }
        if (body is null) throw BatchIntake.Invalid("request", "The JSON body is empty.");
        if (body.Extra is { Count: > 0 } extra)
        {
            throw BatchIntake.Invalid(extra.Keys.First(), $"Unknown field '{extra.Keys.First()}'. Fields: paths, {string.Join(", ", Fields)}.");
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, JsonElement? value)
        {
            if (value is not { } v || v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
            fields[name] = name == "metadata" || v.ValueKind != JsonValueKind.String ? v.GetRawText() : v.GetString()!;
        }
        Add("mode", body.Mode);
        Add("classify_all_boxes", body.ClassifyAllBoxes);
        Add("max_classifications", body.MaxClassifications);
        Add("min_box_confidence", body.MinBoxConfidence);
        Add("country", body.Country);
        Add("admin1_region", body.Admin1Region);
        Add("latitude", body.Latitude);
        Add("longitude", body.Longitude);
        Add("metadata", body.Metadata);
        var plan = await sender.Send(BatchIntake.Prepare(fields), cancellationToken).ConfigureAwait(false);

        var root = jobsOptions.Value.InputRoot;
        if (string.IsNullOrWhiteSpace(root))
        {
            throw BatchIntake.Invalid("paths", "Path jobs are off: set JOBS_INPUT_ROOT to the read-only folder they may name, or upload the images.");
        }
        if (body.Paths is not { Count: > 0 } paths) throw BatchIntake.Invalid("paths", "paths is required: a non-empty list of files or folders under JOBS_INPUT_ROOT.");
        var realRoot = JobInputRoot.RealRoot(root);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var images = new List<JobImage>();
        var max = jobsOptions.Value.MaxImages;
        for (var i = 0; i < paths.Count; i++)
        {
            var resolved = JobInputRoot.Resolve(realRoot, paths[i] ?? string.Empty, out var problem);
            if (resolved is null)
            {
                errors[$"paths[{i}]"] = [$"'{paths[i]}' {problem}"];
                continue;
            }
            IEnumerable<string> files = Directory.Exists(resolved)
                ? Directory.EnumerateFiles(resolved, "*", new EnumerationOptions
                {
                    RecurseSubdirectories = true,
                    AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden,
                    IgnoreInaccessible = true,
                }).Order(StringComparer.Ordinal)
                : [resolved];
            foreach (var file in files)
            {
                if (images.Count >= max) throw new PayloadTooLargeException($"The job has more than {max:N0} images, the most one job holds (JOBS_MAX_IMAGES); split it.");
                var relative = Path.GetRelativePath(realRoot, file).Replace('\\', '/');
                var own = plan.PerImage.TryGetValue(relative, out var location) ? location : null;
                images.Add(new JobImage(images.Count, relative, JobInputRoot.PathPrefix + relative, null, JobResultCodec.EncodeLocation(own)));
            }
        }
        if (errors.Count > 0) throw new Application.Common.RequestValidationException(errors);
        var webhook = body.WebhookUrl is { } w && !string.IsNullOrWhiteSpace(w) ? w.Trim() : null;
        return new SubmitJobCommand(jobId, idempotencyKey, webhook, plan.Options, plan.Defaults, images);
    }

    /// <summary>A few bytes already read (the archive's magic number), then the rest of the stream.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty) return rest.Read(buffer);
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix.IsEmpty) return await rest.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Reads at most <c>limit + 1</c> bytes of the inner stream, then reports the end and sets <see cref="Exceeded"/>.</summary>
    private sealed class CappedStream(Stream inner, long limit) : Stream
    {
        private long _position;

        public bool Exceeded { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Exceeded) return 0;
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, limit + 1 - _position)]);
            return Count(n);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Exceeded) return 0;
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit + 1 - _position)], cancellationToken).ConfigureAwait(false);
            return Count(n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            _position += n;
            if (_position > limit)
            {
                Exceeded = true;
            }
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Body of a path job: <c>{"paths": [...], ...the batch options and location fields, "webhook_url"}</c>.</summary>
public sealed class JobPathsRequest
{
    public List<string?>? Paths { get; set; }
    public JsonElement? Mode { get; set; }
    public JsonElement? ClassifyAllBoxes { get; set; }
    public JsonElement? MaxClassifications { get; set; }
    public JsonElement? MinBoxConfidence { get; set; }
    public JsonElement? Country { get; set; }
    public JsonElement? Admin1Region { get; set; }
    public JsonElement? Latitude { get; set; }
    public JsonElement? Longitude { get; set; }
    public JsonElement? Metadata { get; set; }
    public string? WebhookUrl { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
