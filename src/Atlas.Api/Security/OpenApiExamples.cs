using System.Text.Json;
using Atlas.Api.Contracts;
using Atlas.Api.Controllers;
using Newtonsoft.Json.Linq;

namespace Atlas.Api.Security;

/// <summary>
/// Example bodies of the success responses in the OpenAPI document, built from the contract records themselves and
/// serialized as the service serializes them, so an example can never show a field the service does not send.
/// </summary>
internal static class OpenApiExamples
{
    private static readonly Dictionary<Type, Func<object>> Examples = new()
    {
        [typeof(UploadFileResponse)] = () => new UploadFileResponse("fox.jpg", 482133, SpeciesNet()),
        [typeof(AnalyzeResponse)] = () => new AnalyzeResponse("fox.jpg", 482133, "What animal is in this picture?", SpeciesNet()),
        [typeof(GeminiAnalyzeResponse)] = Gemini,
        [typeof(ServiceInfoResponse)] = () => new ServiceInfoResponse("atlas", "1.0.0", "4.0.1a",
            new ModelResponse("4.0.1a", "always_crop", false, "CUDAExecutionProvider", true, "/models/speciesnet", null, null), ServiceController.Routes),
        [typeof(HealthResponse)] = () => new HealthResponse("ok", new Dictionary<string, HealthCheckResponse>(StringComparer.Ordinal)
        {
            ["model"] = new("ok", true, new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["version"] = "4.0.1a", ["type"] = "always_crop", ["demo"] = false, ["execution_provider"] = "CUDAExecutionProvider",
                ["source"] = "/models/speciesnet", ["detail"] = null,
            }),
            ["gemini"] = new("ok", false, new Dictionary<string, object?>(StringComparer.Ordinal) { ["configured"] = true, ["model"] = "gemini-2.5-flash" }),
        }),
        [typeof(LivenessResponse)] = () => new LivenessResponse("alive"),
        [typeof(JobResponse)] = () => Job(),
        [typeof(JobListResponse)] = () => new JobListResponse([Job()], "0193a5b2c4d17e6f8a9b0c1d2e3f4a5b"),
    };

    private static JobResponse Job() => new("0193a5b2c4d17e6f8a9b0c1d2e3f4a5c", "running", 120000, 48213, 37, 41.7, 1820.5,
        new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 6, 1, 8, 0, 4, TimeSpan.Zero), null,
        new DateTimeOffset(2026, 6, 8, 8, 0, 0, TimeSpan.Zero), null,
        "/v1/jobs/0193a5b2c4d17e6f8a9b0c1d2e3f4a5c", "/v1/jobs/0193a5b2c4d17e6f8a9b0c1d2e3f4a5c/results");

    /// <summary>The example body for a response type, or null when there is none.</summary>
    public static JToken? For(Type? type, string code = "200")
    {
        if (type == typeof(HealthResponse) && code == "503") return Serialize(Unready());
        return code is "200" or "202" && type is not null && Examples.TryGetValue(type, out var make) ? Serialize(make()) : null;
    }

    private static JToken Serialize(object value) => JToken.Parse(JsonSerializer.Serialize(value, value.GetType()));

    private static HealthResponse Unready() => new("unavailable", new Dictionary<string, HealthCheckResponse>(StringComparer.Ordinal)
    {
        ["model"] = new("unavailable", true, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["version"] = "4.0.1a", ["type"] = "always_crop", ["demo"] = false, ["execution_provider"] = "CUDAExecutionProvider",
            ["source"] = "/models/speciesnet", ["detail"] = "warming up",
        }),
        ["gemini"] = new("not_configured", false, new Dictionary<string, object?>(StringComparer.Ordinal) { ["configured"] = false, ["model"] = "gemini-2.5-flash" }),
    });

    private static SpeciesNetResponse SpeciesNet() => new(
        "1f689929-883d-4dae-958c-3d57ab5b6c16;mammalia;carnivora;canidae;vulpes;vulpes;red fox",
        "red fox", 0.9412, "classifier", [new("1f689929-883d-4dae-958c-3d57ab5b6c16;mammalia;carnivora;canidae;vulpes;vulpes;red fox", "red fox", 0.9412),
            new("...;mammalia;carnivora;canidae;;;canidae family", "canidae family", 0.0311)],
        [new("1", "animal", 0.97, [0.1208, 0.3344, 0.4102, 0.5121])],
        new(["1f689929-883d-4dae-958c-3d57ab5b6c16;mammalia;carnivora;canidae;vulpes;vulpes;red fox", "...;mammalia;carnivora;canidae;;;canidae family"], [0.9412, 0.0311]),
        [], "USA", "CA", 37.77, -122.42, "4.0.1a");

    private static GeminiAnalyzeResponse Gemini()
    {
        var answer = JsonDocument.Parse("""{"category_label":"red fox","description":"A red fox walking through snow.","confidence":0.92}""").RootElement;
        var usage = new GeminiUsageResponse(1290, 34, null, 1324);
        return new GeminiAnalyzeResponse("Which animal is this?",
            [new GeminiGroupResponse("red fox", "category_label", 1, [0], ["fox.jpg"], [answer])],
            [new GeminiImageResponse(0, "fox.jpg", 482133, "image/jpeg", "ok", "red fox", answer, "STOP", "gemini-2.5-flash", 1840.5, usage, null)],
            new GeminiMetadataResponse("gemini-2.5-flash", "per_image", "default", 1, 1, 0, 1851.2, usage));
    }
}
