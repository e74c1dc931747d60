using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Atlas.Api.ErrorHandling;

/// <summary>
/// The one way Atlas writes an error answer: the status code, then ASP.NET Core's <see cref="IProblemDetailsService"/>,
/// whose single <c>CustomizeProblemDetails</c> (<see cref="ProblemDetailsSetup"/>) adds <c>traceId</c>, <c>instance</c>
/// and a default <c>detail</c>. Used by the exception handler, the middleware (trusted hosts, API keys, rate limiter,
/// request timeout) and, through <see cref="Result"/>, by MVC (the upload intake filter, model-binding errors);
/// status-code pages (404, 405, 415) use the same service.
/// </summary>
internal static class ProblemWriter
{
    /// <summary>The title of every 400 answer that lists field errors.</summary>
    public const string InvalidFieldsTitle = "One or more fields are invalid";

    /// <summary>
    /// Writes <paramref name="problem"/> with its status. False when no writer accepts the request (an
    /// <c>Accept</c> header without JSON): the status is then sent without a body.
    /// </summary>
    public static async Task<bool> TryWriteAsync(HttpContext context, ProblemDetails problem, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(problem);
        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        }).ConfigureAwait(false);
    }

    /// <summary>Writes a ProblemDetails with this status, title and detail.</summary>
    public static Task WriteAsync(HttpContext context, int status, string title, string detail) =>
        TryWriteAsync(context, new ProblemDetails { Status = status, Title = title, Detail = detail });

    /// <summary>An MVC result that writes <paramref name="problem"/> through the same service.</summary>
    public static IActionResult Result(ProblemDetails problem) => new ProblemResult(problem);

    /// <summary>An MVC result with a 400 ValidationProblemDetails keyed by the fields in <paramref name="modelState"/>.</summary>
    public static IActionResult InvalidFields(ModelStateDictionary modelState) =>
        Result(new ValidationProblemDetails(modelState) { Status = StatusCodes.Status400BadRequest, Title = InvalidFieldsTitle });

    private sealed class ProblemResult(ProblemDetails problem) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => TryWriteAsync(context.HttpContext, problem);
    }
}
