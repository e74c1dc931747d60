using Atlas.Application.Common;
using Atlas.Domain.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.ErrorHandling;

/// <summary>
/// The one place where exceptions become HTTP answers, and <see cref="StatusFor"/> the one table from error type to
/// status code. Every known error maps to a status code and a ProblemDetails body (with <c>traceId</c>, written by
/// <see cref="ProblemWriter"/>); client mistakes are logged at Information, dependency trouble
/// at Warning, and only unknown exceptions at Error (answered with a 500 that reveals nothing internal).
/// </summary>
public sealed class AtlasExceptionHandler(ILogger<AtlasExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        switch (exception)
        {
            case RequestValidationException validation:
                logger.LogInformation("Request refused: {Reason}", validation.Message);
                problem = new ValidationProblemDetails(validation.Errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal))
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = ProblemWriter.InvalidFieldsTitle,
                };
                break;
            case AtlasException known:
                var status = StatusFor(known);
                if (status >= 500)
                {
                    // Our own throw site says nothing new: log the underlying cause, if any, with the message.
                    logger.LogWarning(known.InnerException, "Dependency failure ({Status}): {Reason}", status, known.Message);
                }
                else
                {
                    logger.LogInformation("Request refused ({Status}): {Reason}", status, known.Message);
                }
                problem = new ProblemDetails { Status = status, Title = known.Title, Detail = known.Message };
                if (known is ServiceUnavailableException { RetryAfter: { } retryAfter })
                {
                    httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                break;
            case BadHttpRequestException bad:
                logger.LogInformation("Bad HTTP request ({Status}): {Reason}", bad.StatusCode, bad.Message);
                problem = new ProblemDetails { Status = bad.StatusCode, Title = "Bad request", Detail = bad.Message };
                break;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                logger.LogInformation("Client closed the connection before the answer was ready");
                httpContext.Response.StatusCode = 499;
                return true;
            default:
                logger.LogError(exception, "Unhandled exception");
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Internal server error",
                    Detail = "An unexpected error occurred. Quote the traceId when reporting it.",
                };
                break;
        }

        return await ProblemWriter.TryWriteAsync(httpContext, problem, exception).ConfigureAwait(false);
    }

    /// <summary>HTTP status for each domain error: the only such table (per-image errors of multi-image answers use it too).</summary>
    public static int StatusFor(AtlasException exception) => exception switch
    {
        UnsupportedMediaTypeException => StatusCodes.Status415UnsupportedMediaType,
        ImageDecodeException => StatusCodes.Status422UnprocessableEntity,
        ImageTooLargeException => StatusCodes.Status413PayloadTooLarge,
        PayloadTooLargeException => StatusCodes.Status413PayloadTooLarge,
        ServiceUnavailableException => StatusCodes.Status503ServiceUnavailable,
        ModelBundleException => StatusCodes.Status503ServiceUnavailable,
        UpstreamTimeoutException => StatusCodes.Status504GatewayTimeout,
        UpstreamException => StatusCodes.Status502BadGateway,
        ResourceNotFoundException => StatusCodes.Status404NotFound,
        ResourceConflictException => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };
}
