using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NJsonSchema.CodeGeneration.CSharp;
using NSwag;
using NSwag.CodeGeneration;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace Atlas.OpenApi;

/// <summary>
/// Generates src/Atlas.Client/AtlasClient.g.cs from the OpenAPI document with NSwag, in process, so the same code
/// writes the file (tools/Atlas.OpenApi) and checks that the checked-in file is current (tests/Atlas.Client.Tests).
/// One <c>AtlasClient</c> (and <c>IAtlasClient</c>) with a method per operation id, System.Text.Json DTOs with
/// C# names (<c>prediction_display_name</c> → <c>PredictionDisplayName</c>), nullable reference types, and
/// <c>AtlasApiException&lt;ProblemDetails&gt;</c> for every documented error.
/// </summary>
public static class CSharpClientGenerator
{
    public static async Task<string> GenerateAsync(string documentJson)
    {
        var document = await OpenApiDocument.FromJsonAsync(documentJson).ConfigureAwait(false);
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "AtlasClient",
            GenerateClientInterfaces = true,
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            ParameterNameGenerator = new CamelCaseParameterNameGenerator(),
            ExceptionClass = "AtlasApiException",
            ResponseClass = "AtlasResponse",
            InjectHttpClient = true,
            DisposeHttpClient = false,
            UseBaseUrl = true,
            GenerateBaseUrlProperty = true,
            GenerateOptionalParameters = true,
            CSharpGeneratorSettings =
            {
                Namespace = "Atlas.Client",
                JsonLibrary = CSharpJsonLibrary.SystemTextJson,
                GenerateNullableReferenceTypes = true,
                GenerateOptionalPropertiesAsNullable = true,
                GenerateDataAnnotations = false,
                PropertyNameGenerator = new PascalCasePropertyNameGenerator(),
                ArrayType = "System.Collections.Generic.IReadOnlyList",
                ArrayInstanceType = "System.Collections.Generic.List",
                DictionaryType = "System.Collections.Generic.IReadOnlyDictionary",
                DictionaryInstanceType = "System.Collections.Generic.Dictionary",
            },
        };
        var code = new NSwag.CodeGeneration.CSharp.CSharpClientGenerator(document, settings).GenerateFile();
        return code.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>snake_case and camelCase JSON names become PascalCase C# properties.</summary>
    private sealed class PascalCasePropertyNameGenerator : IPropertyNameGenerator
    {
        public string Generate(JsonSchemaProperty property) => Pascal(property.Name);
    }

    /// <summary>Form field names become camelCase C# parameters (<c>admin1_region</c> → <c>admin1Region</c>).</summary>
    private sealed class CamelCaseParameterNameGenerator : IParameterNameGenerator
    {
        public string Generate(OpenApiParameter parameter, IEnumerable<OpenApiParameter> allParameters)
        {
            var pascal = Pascal(parameter.Name);
            return char.ToLowerInvariant(pascal[0]) + pascal[1..];
        }
    }

    internal static string Pascal(string name)
    {
        var parts = name.Split(['_', '-', ' ', '.'], StringSplitOptions.RemoveEmptyEntries);
        var joined = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        return joined.Length > 0 && char.IsDigit(joined[0]) ? "_" + joined : joined;
    }
}
