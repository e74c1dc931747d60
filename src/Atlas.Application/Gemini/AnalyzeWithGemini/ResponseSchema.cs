using System.Text.Json;

namespace Atlas.Application.Gemini.AnalyzeWithGemini;

/// <summary>The caller's <c>schema_json</c> is unusable (HTTP 400, keyed by <c>schema_json</c>).</summary>
public sealed class ResponseSchemaException(string message) : Exception(message);

/// <summary>
/// The JSON Schema each image's answer must follow: sent to Gemini as <c>responseJsonSchema</c> and checked
/// again on the answer, because Gemini treats the schema as guidance for some keywords and a broken answer must
/// be reported rather than passed on.
/// </summary>
public sealed class ResponseSchema
{
    /// <summary>The field Atlas groups by first.</summary>
    public const string CategoryLabelField = "category_label";

    /// <summary>
    /// Used when the caller sends no schema: a label per image (the same label for images of the same kind, so
    /// they can be grouped), a short description and a confidence.
    /// </summary>
    public const string DefaultJson = """
        {
          "type": "object",
          "properties": {
            "category_label": {
              "type": "string",
              "description": "Short lowercase label for the main subject of the image, such as the common name of the animal ('african elephant', 'red fox'), or 'empty', 'human' or 'vehicle'. Images showing the same kind of subject must get exactly the same label."
            },
            "description": {
              "type": "string",
              "description": "One or two sentences describing the image with respect to the prompt."
            },
            "confidence": {
              "type": "number",
              "minimum": 0,
              "maximum": 1,
              "description": "Confidence in category_label, from 0 to 1."
            }
          },
          "required": ["category_label", "description", "confidence"]
        }
        """;

    private readonly NJsonSchema.JsonSchema _validator;

    private ResponseSchema(JsonElement element, string json, NJsonSchema.JsonSchema validator, bool isDefault)
    {
        Element = element;
        Json = json;
        _validator = validator;
        IsDefault = isDefault;
    }

    /// <summary>The schema as sent to Gemini.</summary>
    public JsonElement Element { get; }

    /// <summary>The schema text (counts towards the request budget).</summary>
    public string Json { get; }

    /// <summary>Whether this is <see cref="DefaultJson"/>.</summary>
    public bool IsDefault { get; }

    private static readonly Lazy<Task<ResponseSchema>> Default = new(() => ParseAsync(DefaultJson, true, CancellationToken.None));

    /// <summary>The default schema (parsed once).</summary>
    public static Task<ResponseSchema> DefaultAsync() => Default.Value;

    /// <summary>
    /// Parses the caller's schema. Throws <see cref="ResponseSchemaException"/> naming the problem when it is not
    /// JSON, not an object schema (<c>"type": "object"</c> at the root), uses a non-local <c>$ref</c> (never
    /// fetched), or is not a JSON Schema.
    /// </summary>
    public static Task<ResponseSchema> ParseAsync(string json, CancellationToken cancellationToken) => ParseAsync(json, false, cancellationToken);

    private static async Task<ResponseSchema> ParseAsync(string json, bool isDefault, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ResponseSchemaException($"schema_json is not valid JSON: {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ResponseSchemaException($"schema_json must be a JSON Schema object, not a JSON {root.ValueKind.ToString().ToLowerInvariant()}.");
        }

        if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "object")
        {
            throw new ResponseSchemaException("schema_json must describe a JSON object: set \"type\": \"object\" at its root so each image's answer is an object.");
        }

        if (FindRemoteReference(root) is { } reference)
        {
            throw new ResponseSchemaException($"schema_json may only use local references ('#/...'); '{reference}' is not one.");
        }

        NJsonSchema.JsonSchema validator;
        try
        {
            validator = await NJsonSchema.JsonSchema.FromJsonAsync(json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ResponseSchemaException($"schema_json is not a usable JSON Schema: {ex.Message}");
        }

        return new ResponseSchema(root, json, validator, isDefault);
    }

    /// <summary>Where <paramref name="answer"/> breaks the schema (at most five places), or an empty list when it follows it.</summary>
    public IReadOnlyList<string> Check(string answer)
    {
        return _validator.Validate(answer)
            .Take(5)
            .Select(e => $"{e.Path ?? "#"}: {e.Kind}")
            .ToArray();
    }

    private static string? FindRemoteReference(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("$ref") && property.Value.ValueKind == JsonValueKind.String && !property.Value.GetString()!.StartsWith('#'))
                    {
                        return property.Value.GetString();
                    }
                    if (FindRemoteReference(property.Value) is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (FindRemoteReference(item) is { } found) return found;
                }
                return null;
            default:
                return null;
        }
    }
}
