using Newtonsoft.Json.Linq;
using Microsoft.AspNetCore.Mvc;
using Namotion.Reflection;
using NJsonSchema;
using NSwag;
using NSwag.Generation.AspNetCore;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace Atlas.Api.Security;

/// <summary>
/// Makes each operation of the OpenAPI document say what the service does, so generated SDKs get it right: the API
/// key on every protected operation, the form fields with their formats and ranges, <c>application/problem+json</c>
/// with the ProblemDetails schema and an example for every error (including the 401/403/429 the middleware, not the
/// controllers, produces), <c>Retry-After</c> on 429 and 503, and an operation id that makes a good method name.
/// </summary>
internal sealed class AtlasOpenApiProcessor : IOperationProcessor
{
    internal const string ProblemJson = "application/problem+json";

    /// <summary>Formats, ranges and descriptions of the multipart form fields, by field name.</summary>
    private static readonly Dictionary<string, Action<JsonSchemaProperty>> FormFields = new(StringComparer.Ordinal)
    {
        ["file"] = p => Describe(p, "The image: JPEG, PNG, WebP, GIF, BMP or TIFF (at most MAX_UPLOAD_BYTES, 5 MB by default)."),
        ["files"] = p =>
        {
            Describe(p, "One or more JPEG, PNG or WebP images, each sent as a form part named 'files' (at most GEMINI_MAX_IMAGES, 20 by default).");
            p.MinItems = 1;
        },
        ["prompt"] = p =>
        {
            Describe(p, "The question or instructions (required, not blank).");
            p.MinLength = 1;
            p.Example = "What animal is in this picture?";
        },
        ["country"] = p =>
        {
            Describe(p, "ISO 3166-1 alpha-3 country code where the image was taken (any case); enables SpeciesNet's geofencing.");
            p.Pattern = "^[A-Za-z]{3}$";
            p.MinLength = 3;
            p.MaxLength = 3;
            p.Example = "USA";
        },
        ["admin1_region"] = p =>
        {
            Describe(p, "First-level region code, e.g. a US state such as NY; needs country.");
            p.Pattern = "^[A-Za-z0-9]{1,3}$";
            p.Example = "CA";
        },
        ["latitude"] = p =>
        {
            Describe(p, "Latitude in decimal degrees (WGS 84); send together with longitude.");
            p.Minimum = -90;
            p.Maximum = 90;
            p.Example = 37.77;
        },
        ["longitude"] = p =>
        {
            Describe(p, "Longitude in decimal degrees (WGS 84); send together with latitude.");
            p.Minimum = -180;
            p.Maximum = 180;
            p.Example = -122.42;
        },
        ["schema_json"] = p =>
        {
            Describe(p, "Optional JSON Schema (an object schema) each image's answer must follow; by default each answer has category_label, description and confidence.");
            p.Example = """{"type":"object","properties":{"category_label":{"type":"string"}},"required":["category_label"]}""";
        },
    };

    private static readonly string[] RequiredFormFields = ["file", "files", "prompt"];

    /// <summary>What each error status means, for responses the controller did not describe.</summary>
    internal static readonly Dictionary<string, (string Description, string Title, string Detail)> Errors = new(StringComparer.Ordinal)
    {
        ["400"] = ("A form field is missing or invalid; 'errors' names each field.", "One or more fields are invalid",
            "One or more fields are invalid; 'errors' lists each field with what to change."),
        ["401"] = ("No API key was sent (only when the service runs with ATLAS_API_KEYS).", "API key required",
            "Send your API key in the X-API-Key header or as 'Authorization: Bearer <key>'."),
        ["403"] = ("The API key is not one of the configured keys.", "API key not accepted",
            "The API key sent with this request is not valid for this route."),
        ["404"] = ("No such resource (a job that never existed or whose retention ended).", "Not found",
            "No job '0193a5b2c4d17e6f8a9b0c1d2e3f4a5c': it never existed or its retention ended."),
        ["409"] = ("The request conflicts with the resource's state (cancelling a job that already ended).", "Conflict",
            "Job '0193a5b2c4d17e6f8a9b0c1d2e3f4a5c' is already completed; only queued or running jobs can be cancelled."),
        ["413"] = ("The upload is larger than the configured limit.", "Payload too large",
            "The image is larger than the 5242880-byte limit."),
        ["415"] = ("The request is not multipart/form-data, or an image is not of a supported type.", "Unsupported media type",
            "The file is not a supported image type (JPEG, PNG, WebP, GIF, BMP or TIFF)."),
        ["422"] = ("The file has a supported type but cannot be decoded as an image.", "Image could not be decoded",
            "The file could not be decoded as an image."),
        ["429"] = ("Too many requests from this client; wait the number of seconds in Retry-After.", "Too many requests",
            "This client has sent too many requests. Retry after 60 s."),
        ["500"] = ("An unexpected error; quote the traceId when reporting it.", "Internal server error",
            "An unexpected error occurred. Quote the traceId when reporting it."),
        ["502"] = ("The upstream service (Gemini) answered with an error.", "Upstream error",
            "Gemini answered 500 Internal Server Error."),
        ["503"] = ("Not ready or overloaded (model not loaded, inference queue full, or Gemini not configured); retry after Retry-After when it is sent.",
            "Service unavailable", "The inference queue is full; retry shortly."),
        ["504"] = ("The request (or the upstream call) took longer than its timeout.", "Request timeout",
            "The request did not complete within 60 s."),
    };

    public bool Process(OperationProcessorContext context)
    {
        var operation = context.OperationDescription.Operation;
        var path = context.OperationDescription.Path.Trim('/');
        operation.OperationId = OperationIdFor(operation.OperationId);

        if (operation.RequestBody?.Content.TryGetValue("multipart/form-data", out var form) == true && form.Schema?.ActualSchema is { } schema)
        {
            operation.RequestBody.IsRequired = true;
            foreach (var (name, property) in schema.Properties)
            {
                if (FormFields.TryGetValue(name, out var describe)) describe(property);
                if (RequiredFormFields.Contains(name))
                {
                    schema.RequiredProperties.Add(name);
                    property.IsNullableRaw = false;
                }
                else
                {
                    // An optional form field may be left out, so generated clients must accept null for it.
                    property.IsNullableRaw = true;
                }
            }
        }

        BatchOpenApi.Describe(operation, path);

        var problem = Reference<ProblemDetails>(context);
        var responseTypes = (context as AspNetCoreOperationProcessorContext)?.ApiDescription.SupportedResponseTypes ?? [];
        foreach (var (code, response) in operation.Responses)
        {
            var type = responseTypes.FirstOrDefault(r => r.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) == code)?.Type;
            if (type is not null && typeof(ProblemDetails).IsAssignableFrom(type))
            {
                if (response.Content.Remove("application/json", out var media)) response.Content[ProblemJson] = media;
                foreach (var other in response.Content.Keys.Where(k => k != ProblemJson).ToList()) response.Content.Remove(other);
            }
            else
            {
                if (code == "200" && string.IsNullOrEmpty(response.Description)) response.Description = "Success.";
                if (response.Content.TryGetValue("application/json", out var body)) body.Example ??= OpenApiExamples.For(type, code);
                if (code == "503" && string.IsNullOrEmpty(response.Description)) response.Description = "A required readiness check failed (e.g. the model is still warming up).";
            }
        }

        // Guarded unless the action or its controller allows anonymous callers (the same metadata the authorization middleware reads).
        var open = context.MethodInfo?.GetCustomAttributes(typeof(Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute), true).Length > 0
            || context.ControllerType?.GetCustomAttributes(typeof(Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute), true).Length > 0;
        if (!open)
        {
            operation.Security = [new OpenApiSecurityRequirement { [ApiDocs.ApiKeyScheme] = [] }];
            AddProblem(operation, "401", problem);
            AddProblem(operation, "403", problem);
            AddProblem(operation, "429", problem);
            AddProblem(operation, "500", problem);
            // Every guarded route runs under a request timeout (REQUEST_TIMEOUT_SECONDS, or the inference/Gemini one).
            AddProblem(operation, "504", problem);
        }

        foreach (var (code, response) in operation.Responses)
        {
            if (!Errors.TryGetValue(code, out var error) || !response.Content.TryGetValue(ProblemJson, out var media)) continue;
            if (string.IsNullOrEmpty(response.Description)) response.Description = error.Description;
            media.Example ??= Example(code, error.Title, error.Detail, "/" + path + (path.Length > 0 ? "/" : ""));
            if (code is "429" or "503") AddRetryAfter(response);
        }
        return true;
    }

    /// <summary>
    /// The route name when the action has one (<c>[HttpPost("x", Name = "doX")]</c>); otherwise NSwag's
    /// <c>Controller_Action</c> turned into <c>controllerAction</c>, so every operation id is a valid method name.
    /// </summary>
    private static string OperationIdFor(string id)
    {
        var parts = id.Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return id;
        var joined = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        return char.ToLowerInvariant(joined[0]) + joined[1..];
    }

    internal static JsonSchema Reference<T>(OperationProcessorContext context) =>
        context.SchemaGenerator.GenerateWithReference<JsonSchema>(typeof(T).ToContextualType(), context.SchemaResolver);

    internal static void AddProblem(OpenApiOperation operation, string code, JsonSchema schema)
    {
        if (operation.Responses.ContainsKey(code)) return;
        var response = new OpenApiResponse { Description = Errors[code].Description };
        response.Content[ProblemJson] = new OpenApiMediaType { Schema = schema };
        operation.Responses[code] = response;
    }

    internal static void AddRetryAfter(OpenApiResponse response) =>
        response.Headers["Retry-After"] = new OpenApiHeader
        {
            Description = "Seconds to wait before retrying (always on 429; on 503 when the service knows when it will have room).",
            Schema = new JsonSchema { Type = JsonObjectType.Integer, Minimum = 1 },
            Example = 5,
        };

    internal static JObject Example(string code, string title, string detail, string instance)
    {
        var example = new JObject
        {
            ["title"] = title,
            ["status"] = int.Parse(code, System.Globalization.CultureInfo.InvariantCulture),
            ["detail"] = detail,
            ["instance"] = instance,
            ["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        };
        if (code == "400")
        {
            example["errors"] = new JObject { ["country"] = new JArray("country must be an ISO 3166-1 alpha-3 code such as USA, KEN or GBR.") };
        }
        return example;
    }

    private static void Describe(JsonSchemaProperty property, string description)
    {
        if (string.IsNullOrEmpty(property.Description)) property.Description = description;
    }
}
