using System.Diagnostics;

namespace Atlas.Api.ErrorHandling;

internal static class ProblemDetailsSetup
{
    /// <summary>Every ProblemDetails (ours, MVC's, status-code pages) carries the trace id and the request path.</summary>
    public static IServiceCollection AddAtlasProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<AtlasExceptionHandler>();
        return services;
    }
}
