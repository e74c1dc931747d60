using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.ErrorHandling;

internal static class ProblemDetailsSetup
{
    /// <summary>
    /// The one <c>CustomizeProblemDetails</c>: every ProblemDetails (written through <see cref="ProblemWriter"/>, or by
    /// status-code pages) carries the trace id, the request path and a <c>detail</c> a person can act on, also where
    /// the framework produced the answer and wrote none.
    /// </summary>
    public static IServiceCollection AddAtlasProblemDetails(this IServiceCollection services)
    {
        // Ahead of MVC's writer, which drops the errors of a ValidationProblemDetails on controller endpoints.
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, ValidationProblemDetailsWriter>());
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var request = context.HttpContext.Request;
            problem.Instance ??= request.Path;
            problem.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
            if (problem.Status == StatusCodes.Status429TooManyRequests)
            {
                problem.Type ??= "https://www.rfc-editor.org/rfc/rfc6585#section-4";
            }
            problem.Detail ??= DefaultDetail(problem, request);
        });
        services.AddExceptionHandler<AtlasExceptionHandler>();
        return services;
    }

    private static string? DefaultDetail(ProblemDetails problem, HttpRequest request) => problem switch
    {
        ValidationProblemDetails => "One or more fields are invalid; 'errors' lists each field with what to change.",
        { Status: StatusCodes.Status404NotFound } => $"No route matches {request.Method} {request.Path}; GET / lists the routes.",
        { Status: StatusCodes.Status405MethodNotAllowed } => $"{request.Method} is not allowed on {request.Path}; the Allow header lists the methods that are.",
        { Status: StatusCodes.Status415UnsupportedMediaType } => "Send the request as multipart/form-data, with the image in the documented form field.",
        { Status: StatusCodes.Status429TooManyRequests } => "Too many requests from this client; retry after the number of seconds in the Retry-After header.",
        _ => problem.Title,
    };
}
