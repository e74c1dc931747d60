using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Atlas.Api.Security;

/// <summary>
/// Makes the OpenAPI document say what the service does, so generated SDKs get it right: the API key on every
/// protected operation, the required form fields, <c>application/problem+json</c> for error bodies, and the
/// 401/403/429 answers the middleware (not the controllers) produces.
/// </summary>
internal sealed class AtlasOpenApiProcessor : IOperationProcessor
{
    private static readonly string[] RequiredFormFields = ["file", "files", "prompt"];
    private static readonly string[] OpenPaths = ["", "healthz"];

    public bool Process(OperationProcessorContext context)
    {
        var operation = context.OperationDescription.Operation;
        var path = context.OperationDescription.Path.Trim('/');

        if (operation.RequestBody?.Content.TryGetValue("multipart/form-data", out var form) == true && form.Schema?.ActualSchema is { } schema)
        {
            foreach (var name in RequiredFormFields.Where(schema.Properties.ContainsKey))
            {
                schema.RequiredProperties.Add(name);
                schema.Properties[name].IsNullableRaw = false;
            }
        }

        JsonSchema? problemSchema = null;
        foreach (var (code, response) in operation.Responses.Where(r => r.Key.Length == 3 && r.Key[0] is '4' or '5'))
        {
            if (response.Content.Remove("application/json", out var media))
            {
                response.Content["application/problem+json"] = media;
            }
            problemSchema ??= response.Content.Values.FirstOrDefault()?.Schema;
        }

        if (!OpenPaths.Contains(path))
        {
            operation.Security = [new OpenApiSecurityRequirement { ["ApiKey"] = [] }];
            AddProblem(operation, "401", "No API key was sent (only when the service runs with ATLAS_API_KEYS).", problemSchema);
            AddProblem(operation, "403", "The API key is not one of the configured keys.", problemSchema);
            AddProblem(operation, "429", "Too many requests from this client; see Retry-After.", problemSchema);
        }
        return true;
    }

    private static void AddProblem(OpenApiOperation operation, string code, string description, JsonSchema? schema)
    {
        if (operation.Responses.ContainsKey(code)) return;
        var response = new OpenApiResponse { Description = description };
        if (schema is not null) response.Content["application/problem+json"] = new OpenApiMediaType { Schema = schema };
        operation.Responses[code] = response;
    }
}
