using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Formatters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.Options;

namespace Atlas.Api.ErrorHandling;

/// <summary>
/// Writes a <see cref="ValidationProblemDetails"/> answered on a controller endpoint (the upload intake filter,
/// model binding). MVC's own problem-details writer, which <see cref="IProblemDetailsService"/> would pick there,
/// rebuilds the problem as a plain ProblemDetails and drops <c>errors</c>; this one writes the object it is given,
/// the way MVC does (its output formatters, <c>application/problem+json</c>), after the same defaults: the
/// status's <c>type</c> link and the one <c>CustomizeProblemDetails</c>. Registered ahead of the framework's writers.
/// </summary>
internal sealed class ValidationProblemDetailsWriter(
    OutputFormatterSelector formatterSelector,
    IHttpResponseStreamWriterFactory writerFactory,
    IOptions<ApiBehaviorOptions> apiBehavior,
    IOptions<ProblemDetailsOptions> problemDetails) : IProblemDetailsWriter
{
    private static readonly MediaTypeCollection ProblemContentTypes = ["application/problem+json"];

    public bool CanWrite(ProblemDetailsContext context) =>
        context.ProblemDetails is ValidationProblemDetails
        && context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<ControllerAttribute>() is not null;

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        if (apiBehavior.Value.ClientErrorMapping.TryGetValue(problem.Status.Value, out var defaults))
        {
            problem.Type ??= defaults.Link;
            problem.Title ??= defaults.Title;
        }
        problemDetails.Value.CustomizeProblemDetails?.Invoke(context);
        var formatterContext = new OutputFormatterWriteContext(context.HttpContext, writerFactory.CreateWriter, problem.GetType(), problem);
        var formatter = formatterSelector.SelectFormatter(formatterContext, [], ProblemContentTypes)
            ?? throw new InvalidOperationException("No output formatter writes application/problem+json.");
        await formatter.WriteAsync(formatterContext).ConfigureAwait(false);
    }
}
