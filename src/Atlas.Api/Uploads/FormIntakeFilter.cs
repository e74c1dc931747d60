using Atlas.Api.ErrorHandling;
using Atlas.Application.Images;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Uploads;

/// <summary>Which body limit a multipart route gets.</summary>
public enum UploadLimitKind
{
    /// <summary>One image: the file limit plus room for the other form fields.</summary>
    SingleImage,

    /// <summary>Several images (Gemini): the configured total request budget.</summary>
    MultipleImages,
}

/// <summary>Body budget of routes that take several images (configuration section <c>MultiImageIntake</c>).</summary>
public sealed class MultiImageIntakeOptions
{
    public const string SectionName = "MultiImageIntake";

    /// <summary>Largest accepted multi-image request body, in bytes (default 20 MB, Gemini's inline-request limit).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1L << 31)]
    public long MaxRequestBytes { get; set; } = 20L * 1024 * 1024;
}

/// <summary>
/// What happens to the rest of a body that is over its route's limit (configuration section <c>Intake</c>).
/// </summary>
public sealed class BodyIntakeOptions
{
    public const string SectionName = "Intake";

    /// <summary>
    /// Many simple clients (Python urllib, curl without Expect, most scripts) write the whole body before reading the
    /// answer; if the server closes while the body is still arriving they see "Broken pipe" or "Connection reset"
    /// instead of the 413. So the rest of an over-limit body is read and discarded, up to this multiple of the route's
    /// limit in total, and then the 413 is answered; a body larger than that (or one that does not arrive within
    /// <see cref="DrainSeconds"/>) is cut off as before. 0 never drains. Env <c>OVERSIZE_DRAIN_FACTOR</c>.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0d, 64d)]
    public double OversizeDrainFactor { get; set; } = 4;

    /// <summary>Longest time spent discarding an over-limit body before the connection is cut.</summary>
    [System.ComponentModel.DataAnnotations.Range(0.1d, 600d)]
    public double DrainSeconds { get; set; } = 15;
}

/// <summary>Marks a multipart action so <see cref="FormIntakeFilter"/> applies the matching body limit.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class UploadLimitAttribute(UploadLimitKind kind) : Attribute, IFilterMetadata
{
    public UploadLimitKind Kind { get; } = kind;
}

/// <summary>
/// Reads the multipart form before model binding, so that
/// (1) the body limit is enforced while streaming: an oversized body is refused with 413 as soon as the limit is
///     crossed, never buffered in full; the rest of it is read and discarded up to a bound
///     (<see cref="BodyIntakeOptions.OversizeDrainFactor"/>) so that clients which write before reading see the 413;
/// (2) a malformed multipart body becomes a clear 400 rather than a vague binding error; and
/// (3) the files stay in memory (no temporary files).
/// </summary>
public sealed class FormIntakeFilter(
    IOptions<UploadOptions> uploadOptions,
    IOptions<MultiImageIntakeOptions> multiImageOptions,
    IOptions<BodyIntakeOptions> intakeOptions,
    ILogger<FormIntakeFilter> logger) : IAsyncResourceFilter
{
    /// <summary>Room for the non-file form fields and multipart framing on top of the file limit.</summary>
    public const long FormOverheadBytes = 64 * 1024;

    /// <summary>Most form fields plus files in one request (multipart limit).</summary>
    public const int MaxFormParts = 64;

    /// <summary>Largest non-file form field (prompt, schema_json), in bytes.</summary>
    public const int MaxTextFieldBytes = 256 * 1024;

    /// <summary>Body limit for single-image routes.</summary>
    public long SingleImageLimit => uploadOptions.Value.MaxFileBytes + FormOverheadBytes;

    /// <summary>Body limit for multi-image routes.</summary>
    public long MultipleImagesLimit => multiImageOptions.Value.MaxRequestBytes + FormOverheadBytes;

    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var marker = context.ActionDescriptor.EndpointMetadata.OfType<UploadLimitAttribute>().FirstOrDefault();
        var request = context.HttpContext.Request;
        if (marker is null || !request.HasFormContentType)
        {
            await next().ConfigureAwait(false);
            return;
        }

        var limit = marker.Kind == UploadLimitKind.SingleImage ? SingleImageLimit : MultipleImagesLimit;
        // Kestrel's own limit is raised to the drain budget; the route's limit is enforced by LimitedBodyStream, so
        // an over-limit body can still be read to its end (and discarded) before the 413 is written.
        var drainBudget = Math.Max(limit, (long)Math.Min(1L << 40, limit * intakeOptions.Value.OversizeDrainFactor));
        var sizeFeature = context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = drainBudget;
        }

        if (request.ContentLength > limit)
        {
            await DrainAsync(context.HttpContext, request.Body, request.ContentLength.Value <= drainBudget, drainBudget).ConfigureAwait(false);
            context.Result = TooLarge(marker.Kind, limit, $"The request body is {request.ContentLength:N0} bytes");
            return;
        }

        var formOptions = new FormOptions
        {
            MemoryBufferThreshold = (int)Math.Min(int.MaxValue, limit),
            // The byte limit is LimitedBodyStream's (a 413); the multipart reader's own would be a vague 400.
            MultipartBodyLengthLimit = drainBudget + 1,
            BufferBody = false,
            // A few named fields and files, never thousands; text fields (prompt, schema_json) stay small.
            ValueCountLimit = MaxFormParts,
            ValueLengthLimit = MaxTextFieldBytes,
            MultipartHeadersCountLimit = 8,
            MultipartHeadersLengthLimit = 4 * 1024,
        };
        context.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, formOptions));

        var body = request.Body;
        var limited = new LimitedBodyStream(body, limit);
        request.Body = limited;
        try
        {
            await request.ReadFormAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ClientGone(context.HttpContext, ex))
        {
            // The client reset or closed the connection mid-body. Answering is pointless, and leaving the request to end
            // normally makes Kestrel try to drain a body whose read was cut off, which it logs as an error
            // (dotnet/aspnetcore#17840). Aborting says what happened: nothing to answer, nothing to drain.
            logger.LogInformation("Client went away during the upload: {Reason}", ex.Message);
            context.HttpContext.Abort();
            context.Result = new EmptyResult();
            return;
        }
        catch (Exception) when (limited.LimitExceeded && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            await DrainAsync(context.HttpContext, body, true, drainBudget).ConfigureAwait(false);
            context.Result = TooLarge(marker.Kind, limit, "The request body is larger than that");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            context.Result = TooLarge(marker.Kind, limit, "The request body is larger than that");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            context.Result = Problem(StatusCodes.Status408RequestTimeout, "Request body too slow",
                "The request body arrived too slowly and the server stopped waiting for it; send the upload again over a faster or steadier connection.");
            return;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            if (context.HttpContext.RequestAborted.IsCancellationRequested) throw;
            context.Result = Problem(StatusCodes.Status400BadRequest, "Malformed multipart body",
                $"The multipart/form-data body could not be read ({ex.Message}). Send the image as a multipart form field.");
            return;
        }
        finally
        {
            request.Body = body;
        }

        if (Duplicated(request.Form, marker.Kind) is { } duplicated)
        {
            context.Result = duplicated.ToResult();
            return;
        }

        await next().ConfigureAwait(false);
    }

    /// <summary>
    /// A field sent more than once would be bound from its first value and the others silently dropped; refuse it
    /// (400 keyed by the field). Multi-image routes take many <c>files</c>, but still one of every other field.
    /// </summary>
    private static DuplicateField? Duplicated(IFormCollection form, UploadLimitKind kind)
    {
        foreach (var (key, values) in form)
        {
            if (values.Count > 1) return new DuplicateField(key, values.Count);
        }

        foreach (var group in form.Files.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            var count = group.Count();
            if (count > 1 && (kind == UploadLimitKind.SingleImage || !string.Equals(group.Key, "files", StringComparison.OrdinalIgnoreCase)))
                return new DuplicateField(group.Key, count);
        }

        return null;
    }

    private sealed record DuplicateField(string Name, int Count)
    {
        public IActionResult ToResult()
        {
            var modelState = new Microsoft.AspNetCore.Mvc.ModelBinding.ModelStateDictionary();
            modelState.AddModelError(Name, $"The form field '{Name}' was sent {Count} times; send it once.");
            return ProblemWriter.InvalidFields(modelState);
        }
    }

    private static bool ClientGone(HttpContext httpContext, Exception exception) =>
        httpContext.RequestAborted.IsCancellationRequested
        || exception is Microsoft.AspNetCore.Connections.ConnectionResetException or Microsoft.AspNetCore.Connections.ConnectionAbortedException
        || exception.InnerException is Microsoft.AspNetCore.Connections.ConnectionResetException or Microsoft.AspNetCore.Connections.ConnectionAbortedException;

    /// <summary>
    /// Reads and discards the rest of an over-limit body (when <paramref name="drain"/>), so a client that writes the
    /// whole body before reading gets the 413 instead of a reset. Bounded in bytes (Kestrel's body limit is the drain
    /// budget) and in time; past either bound the 413 is still written and Kestrel closes the connection.
    /// </summary>
    private async Task DrainAsync(HttpContext httpContext, Stream body, bool drain, long budget)
    {
        // The connection cannot be reused after a refused body in any case.
        httpContext.Response.Headers.Connection = "close";
        if (!drain || intakeOptions.Value.OversizeDrainFactor <= 0) return;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(intakeOptions.Value.DrainSeconds));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await body.ReadAsync(buffer, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Past the drain budget, too slow, or the client left: the answer goes out and the connection closes.
            logger.LogDebug("Stopped discarding an over-limit body of up to {Budget:N0} bytes: {Reason}", budget, ex.Message);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private IActionResult TooLarge(UploadLimitKind kind, long limit, string what)
    {
        var fileLimit = ByteSize.Describe(uploadOptions.Value.MaxFileBytes);
        var detail = kind == UploadLimitKind.SingleImage
            ? $"{what}; this route accepts at most {limit:N0} bytes: the image file may be at most {fileLimit}, plus {ByteSize.Describe(FormOverheadBytes)} for the other form fields."
            : $"{what}; this route accepts at most {limit:N0} bytes: each image file may be at most {fileLimit}, and all of them together at most {ByteSize.Describe(multiImageOptions.Value.MaxRequestBytes)}.";
        return Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);
    }

    /// <summary>Passes reads through until more than <c>limit</c> bytes have come, then throws (and remembers that it did).</summary>
    private sealed class LimitedBodyStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public bool LimitExceeded { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > limit)
            {
                LimitExceeded = true;
                throw new InvalidDataException($"The request body exceeds {limit:N0} bytes.");
            }
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static IActionResult Problem(int status, string title, string detail) =>
        ProblemWriter.Result(new ProblemDetails { Status = status, Title = title, Detail = detail });
}
