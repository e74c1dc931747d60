using System.Text.Json;
using System.Text.RegularExpressions;
using Atlas.Client.Tests.Infrastructure;
using Atlas.OpenApi;

namespace Atlas.Client.Tests;

/// <summary>
/// The checked-in OpenAPI document and both generated clients are what the service and the generators produce
/// now, so an API change shows up in review (run openapi/regenerate.sh and commit the result), and the document
/// says what the issue asks of it.
/// </summary>
[TestFixture]
public sealed partial class DocumentDriftTests
{
    private const string Regenerate = "The API changed: run openapi/regenerate.sh and commit openapi/atlas.json and the generated clients.";
    private AtlasServer _server = null!;
    private HttpClient _http = null!;
    private string _served = null!;
    private JsonElement _document;

    private static string CheckedIn(params string[] path) => File.ReadAllText(Path.Combine([SharedData.RequireRepoRoot(), .. path])).Replace("\r\n", "\n", StringComparison.Ordinal);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await AtlasServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.BaseUrl };
        _served = (await _http.GetStringAsync(new Uri("/openapi.json", UriKind.Relative))).Replace("\r\n", "\n", StringComparison.Ordinal);
        _document = JsonDocument.Parse(_served).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public void Served_document_is_the_checked_in_one() =>
        Assert.That(_served, Is.EqualTo(CheckedIn("openapi", "atlas.json")), Regenerate);

    [Test]
    public async Task Document_is_also_served_at_the_NSwag_path()
    {
        var v1 = (await _http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.That(v1, Is.EqualTo(_served));
    }

    [Test]
    public async Task Document_is_not_served_when_docs_are_disabled()
    {
        await using var server = await AtlasServer.StartAsync(new Dictionary<string, string?> { ["Security:EnableApiDocs"] = "false" });
        using var http = new HttpClient { BaseAddress = server.BaseUrl };
        using var response = await http.GetAsync(new Uri("/openapi.json", UriKind.Relative));
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task Checked_in_CSharp_client_is_what_the_generator_writes_from_the_checked_in_document()
    {
        var expected = await CSharpClientGenerator.GenerateAsync(CheckedIn("openapi", "atlas.json"));
        Assert.That(CheckedIn("src", "Atlas.Client", "AtlasClient.g.cs"), Is.EqualTo(expected), Regenerate);
    }

    [Test]
    public void Checked_in_TypeScript_client_has_every_operation_and_schema_of_the_document()
    {
        var ts = CheckedIn("clients", "typescript", "src", "atlas-client.ts");
        foreach (var operationId in Operations().Select(o => o.Operation.GetProperty("operationId").GetString()!))
        {
            Assert.That(ts, Does.Match($@"\n    {Regex.Escape(operationId)}\("), $"{operationId} missing from the TypeScript client. {Regenerate}");
        }
        foreach (var schema in _document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            var block = Regex.Match(ts, $@"export interface {schema.Name}\b[^{{]*\{{(?<body>.*?)\n\}}", RegexOptions.Singleline);
            Assert.That(block.Success, Is.True, $"interface {schema.Name} missing from the TypeScript client. {Regenerate}");
            var properties = schema.Value.TryGetProperty("properties", out var p) ? p : schema.Value.TryGetProperty("allOf", out var all) ? all[1].GetProperty("properties") : default;
            if (properties.ValueKind != JsonValueKind.Object) continue;
            var required = RequiredOf(schema.Value);
            foreach (var property in properties.EnumerateObject())
            {
                var optional = required.Contains(property.Name) ? "" : "\\?";
                Assert.That(block.Groups["body"].Value, Does.Match($@"\n    {Regex.Escape(property.Name)}{optional}: "),
                    $"{schema.Name}.{property.Name} differs in the TypeScript client. {Regenerate}");
            }
        }
    }

    [Test]
    public void Every_route_of_GET_root_is_documented_once_as_the_seed_calls_it()
    {
        var paths = _document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Is.SupersetOf(Atlas.Api.Controllers.ServiceController.Routes.Select(r => r.Path)));
        Assert.That(paths, Does.Contain("/metrics"));
        Assert.That(paths, Does.Not.Contain("/uploadfile").And.Not.Contain("/analyze").And.Not.Contain("/gemini/analyze"));
    }

    [Test]
    public void Operation_ids_are_method_names()
    {
        var ids = Operations().Select(o => o.Operation.GetProperty("operationId").GetString()!).ToList();
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Is.All.Match("^[a-z][A-Za-z0-9]*$"));
        Assert.That(ids, Is.SupersetOf(new[] { "uploadFile", "analyze", "geminiAnalyze", "getServiceInfo", "getHealth", "getLiveness", "getMetrics" }));
    }

    [Test]
    public void Protected_operations_document_401_403_429_500_504_as_ProblemDetails_and_503_with_Retry_After()
    {
        foreach (var (path, _, operation) in Operations().Where(o => o.Operation.TryGetProperty("security", out _) && o.Path != "/metrics"))
        {
            var responses = operation.GetProperty("responses");
            foreach (var code in new[] { "401", "403", "429", "500", "504" })
            {
                var media = responses.GetProperty(code).GetProperty("content").GetProperty("application/problem+json");
                Assert.That(media.GetProperty("schema").GetProperty("$ref").GetString(), Is.EqualTo("#/components/schemas/ProblemDetails"), $"{path} {code}");
                Assert.That(media.TryGetProperty("example", out _), Is.True, $"{path} {code} example");
            }
            Assert.That(responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), Is.True, path);
            if (responses.TryGetProperty("503", out var unavailable))
            {
                Assert.That(unavailable.GetProperty("headers").TryGetProperty("Retry-After", out _), Is.True, path);
            }
        }
    }

    [Test]
    public void Every_response_body_has_an_example()
    {
        foreach (var (path, method, operation) in Operations())
        {
            foreach (var response in operation.GetProperty("responses").EnumerateObject())
            {
                foreach (var media in response.Value.TryGetProperty("content", out var content) ? content.EnumerateObject() : default)
                {
                    // A binary body (the JPEG of /v1/render) has no meaningful example.
                    var binary = media.Value.TryGetProperty("schema", out var schema) && schema.TryGetProperty("format", out var format)
                        && format.GetString() == "binary";
                    Assert.That(binary || media.Value.TryGetProperty("example", out _), Is.True, $"{method} {path} {response.Name} {media.Name}");
                }
            }
        }
    }

    [Test]
    public void Response_properties_are_required_and_the_nullable_ones_say_so()
    {
        var schemas = _document.GetProperty("components").GetProperty("schemas");
        var speciesNet = schemas.GetProperty("SpeciesNetResponse");
        var properties = speciesNet.GetProperty("properties");
        Assert.That(RequiredOf(speciesNet), Is.EquivalentTo(properties.EnumerateObject().Select(p => p.Name)));
        Assert.That(properties.GetProperty("prediction").GetProperty("nullable").GetBoolean(), Is.True);
        Assert.That(properties.GetProperty("model_version").TryGetProperty("nullable", out _), Is.False);
        Assert.That(RequiredOf(schemas.GetProperty("ProblemDetails")), Is.SupersetOf(new[] { "status", "title", "traceId" }));
    }

    [Test]
    public void Form_fields_carry_their_formats_and_ranges()
    {
        var form = _document.GetProperty("paths").GetProperty("/uploadfile/").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        var fields = form.GetProperty("properties");
        Assert.That(RequiredOf(form), Is.EqualTo(new[] { "file" }));
        Assert.That(fields.GetProperty("file").GetProperty("format").GetString(), Is.EqualTo("binary"));
        Assert.That(fields.GetProperty("country").GetProperty("pattern").GetString(), Is.EqualTo("^[A-Za-z]{3}$"));
        Assert.That(fields.GetProperty("latitude").GetProperty("minimum").GetDouble(), Is.EqualTo(-90));
        Assert.That(fields.GetProperty("longitude").GetProperty("maximum").GetDouble(), Is.EqualTo(180));
        var gemini = _document.GetProperty("paths").GetProperty("/gemini/analyze/").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty("files");
        Assert.That(gemini.GetProperty("items").GetProperty("format").GetString(), Is.EqualTo("binary"));
        Assert.That(gemini.GetProperty("minItems").GetInt32(), Is.EqualTo(1));
    }

    private IEnumerable<(string Path, string Method, JsonElement Operation)> Operations() =>
        _document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (p.Name, m.Name, m.Value)));

    private static HashSet<string> RequiredOf(JsonElement schema)
    {
        if (schema.TryGetProperty("required", out var required)) return required.EnumerateArray().Select(r => r.GetString()!).ToHashSet();
        if (schema.TryGetProperty("allOf", out var all)) return all.EnumerateArray().SelectMany(RequiredOf).ToHashSet();
        return [];
    }
}
