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

/// <summary>Marks a multipart action so <see cref="FormIntakeFilter"/> applies the matching body limit.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class UploadLimitAttribute(UploadLimitKind kind) : Attribute, IFilterMetadata
{
    public UploadLimitKind Kind { get; } = kind;
}

/// <summary>
/// Reads the multipart form before model binding, so that
/// (1) the body limit is enforced while streaming: an oversized body is refused with 413 as soon as the limit is
///     crossed, never buffered in full;
/// (2) a malformed multipart body becomes a clear 400 rather than a vague binding error; and
/// (3) the files stay in memory (no temporary files).
/// </summary>
public sealed class FormIntakeFilter(IOptions<UploadOptions> uploadOptions, IOptions<MultiImageIntakeOptions> multiImageOptions) : IAsyncResourceFilter
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
        var sizeFeature = context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        if (request.ContentLength > limit)
        {
            context.Result = Problem(context, StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"The request body is {request.ContentLength:N0} bytes; this route accepts at most {limit:N0} bytes.");
            return;
        }

        var formOptions = new FormOptions
        {
            MemoryBufferThreshold = (int)Math.Min(int.MaxValue, limit),
            MultipartBodyLengthLimit = limit,
            BufferBody = false,
            // A few named fields and files, never thousands; text fields (prompt, schema_json) stay small.
            ValueCountLimit = MaxFormParts,
            ValueLengthLimit = MaxTextFieldBytes,
            MultipartHeadersCountLimit = 8,
            MultipartHeadersLengthLimit = 4 * 1024,
        };
        context.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, formOptions));

        try
        {
            await request.ReadFormAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            context.Result = Problem(context, StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"The request body exceeds this route's limit of {limit:N0} bytes.");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            context.Result = Problem(context, StatusCodes.Status408RequestTimeout, "Request body too slow",
                "The request body arrived too slowly and the server stopped waiting for it; send the upload again over a faster or steadier connection.");
            return;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            if (context.HttpContext.RequestAborted.IsCancellationRequested) throw;
            context.Result = Problem(context, StatusCodes.Status400BadRequest, "Malformed multipart body",
                $"The multipart/form-data body could not be read ({ex.Message}). Send the image as a multipart form field.");
            return;
        }

        await next().ConfigureAwait(false);
    }

    private static ObjectResult Problem(ResourceExecutingContext context, int status, string title, string detail)
    {
        var factory = context.HttpContext.RequestServices.GetRequiredService<Microsoft.AspNetCore.Mvc.Infrastructure.ProblemDetailsFactory>();
        var problem = factory.CreateProblemDetails(context.HttpContext, status, title, detail: detail);
        return new ObjectResult(problem) { StatusCode = status, ContentTypes = { "application/problem+json" } };
    }
}
