using Atlas.Api.Contracts;
using Atlas.Api.Controllers;
using Namotion.Reflection;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Atlas.Api.Security;

/// <summary>
/// Whole-document fixes, after every operation is generated: the seed's paths with their trailing slash
/// (<c>/uploadfile/</c>; the no-slash forms are still answered but listed once), the routes that are not MVC actions
/// (<c>/livez</c>, <c>/metrics</c>), one ProblemDetails schema with the <c>traceId</c> every error carries and the
/// fields always present marked required, and paths in a stable order so the checked-in document only changes when
/// the API does.
/// </summary>
internal sealed class AtlasOpenApiDocumentProcessor : IDocumentProcessor
{
    public void Process(DocumentProcessorContext context)
    {
        var document = context.Document;
        AddLiveness(context);
        AddMetrics(context);

        // The seed's clients call /uploadfile/, /analyze/ and /gemini/analyze/: list the path as GET / does.
        var seedPaths = ServiceController.Routes.Select(r => r.Path).Where(p => p.Length > 1 && p.EndsWith('/')).ToHashSet(StringComparer.Ordinal);
        var paths = document.Paths.ToList();
        document.Paths.Clear();
        foreach (var (path, item) in paths.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var listed = seedPaths.Contains(path + "/") ? path + "/" : path;
            document.Paths[listed] = item;
            foreach (var operation in item.Values)
            {
                foreach (var media in operation.Responses.Values.SelectMany(r => r.Content.Values))
                {
                    if (media.Example is Newtonsoft.Json.Linq.JObject example && example["instance"]?.ToString() is { } instance && instance.TrimEnd('/') == path.TrimEnd('/'))
                    {
                        example["instance"] = listed;
                    }
                }
            }
        }

        var schemas = document.Components.Schemas;
        if (schemas.TryGetValue("ProblemDetails", out var problem))
        {
            problem.Description = "RFC 9457 problem details: every error answer of this service has this shape (application/problem+json).";
            problem.Properties["traceId"] = new JsonSchemaProperty
            {
                Type = JsonObjectType.String,
                Description = "W3C trace id of the request; quote it when reporting a problem (it is in the server's logs).",
            };
            foreach (var name in new[] { "title", "status", "detail", "instance", "traceId" })
            {
                problem.RequiredProperties.Add(name);
                problem.Properties[name].IsNullableRaw = false;
            }
            if (schemas.TryGetValue("ValidationProblemDetails", out var validation) && schemas.Remove("HttpValidationProblemDetails"))
            {
                // ASP.NET's ValidationProblemDetails : HttpValidationProblemDetails : ProblemDetails would declare
                // 'errors' twice; one level says the same thing.
                var errors = new JsonSchemaProperty
                {
                    Type = JsonObjectType.Object,
                    Description = "Each invalid field with what to change.",
                    AdditionalPropertiesSchema = new JsonSchema { Type = JsonObjectType.Array, Item = new JsonSchema { Type = JsonObjectType.String } },
                };
                var own = new JsonSchema { Type = JsonObjectType.Object, AllowAdditionalProperties = true };
                own.Properties["errors"] = errors;
                own.RequiredProperties.Add("errors");
                validation.AllOf.Clear();
                validation.AllOf.Add(new JsonSchema { Reference = problem });
                validation.AllOf.Add(own);
                validation.Description = "A ProblemDetails for invalid form fields, with 'errors' keyed by field name.";
            }
        }
    }

    private static void AddLiveness(DocumentProcessorContext context)
    {
        var schema = context.SchemaGenerator.GenerateWithReference<JsonSchema>(typeof(LivenessResponse).ToContextualType(), context.SchemaResolver);
        var operation = new OpenApiOperation
        {
            OperationId = "getLiveness",
            Summary = "Liveness probe: 200 whenever the process serves requests (readiness is /healthz).",
            Tags = ["Service"],
        };
        operation.Responses["200"] = new OpenApiResponse
        {
            Description = "The process is alive.",
            Content = { ["application/json"] = new OpenApiMediaType { Schema = schema, Example = OpenApiExamples.For(typeof(LivenessResponse)) } },
        };
        context.Document.Paths["/livez"] = new OpenApiPathItem { ["get"] = operation };
    }

    private static void AddMetrics(DocumentProcessorContext context)
    {
        var problem = context.SchemaGenerator.GenerateWithReference<JsonSchema>(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails).ToContextualType(), context.SchemaResolver);
        var operation = new OpenApiOperation
        {
            OperationId = "getMetrics",
            Summary = "Prometheus metrics in the text exposition format (only when ENABLE_METRICS is on, the default).",
            Description = "Guarded by METRICS_API_KEYS when that is set (X-API-Key or Authorization: Bearer); open otherwise. Never rate-limited.",
            Tags = ["Service"],
            Security = [new OpenApiSecurityRequirement { [ApiDocs.MetricsApiKeyScheme] = [] }],
        };
        operation.Responses["200"] = new OpenApiResponse
        {
            Description = "Metrics in the Prometheus text format.",
            Content =
            {
                ["text/plain"] = new OpenApiMediaType
                {
                    Schema = new JsonSchema { Type = JsonObjectType.String },
                    Example = "# HELP atlas_inference_queue_length Inference requests waiting for a slot.\n# TYPE atlas_inference_queue_length gauge\natlas_inference_queue_length 0\n",
                },
            },
        };
        foreach (var code in new[] { "401", "403" })
        {
            AtlasOpenApiProcessor.AddProblem(operation, code, problem);
            var (_, title, detail) = AtlasOpenApiProcessor.Errors[code];
            operation.Responses[code].Content[AtlasOpenApiProcessor.ProblemJson].Example = AtlasOpenApiProcessor.Example(code, title, detail, "/metrics");
        }
        operation.Responses["401"].Description = "No API key was sent (only when the service runs with METRICS_API_KEYS).";
        context.Document.Paths["/metrics"] = new OpenApiPathItem { ["get"] = operation };
    }
}

/// <summary>
/// Marks every property of the response contracts (<c>Atlas.Api.Contracts</c>) required: the service always writes
/// each one, null included, so a generated client can rely on it being there; the nullable ones say <c>nullable</c>.
/// </summary>
internal sealed class ContractsRequiredSchemaProcessor : NJsonSchema.Generation.ISchemaProcessor
{
    public void Process(NJsonSchema.Generation.SchemaProcessorContext context)
    {
        if (context.ContextualType.Type.Namespace != typeof(UploadFileResponse).Namespace) return;
        foreach (var name in context.Schema.Properties.Keys) context.Schema.RequiredProperties.Add(name);
    }
}
