using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Uploads;

/// <summary>Form fields of <c>POST /gemini/analyze/</c>.</summary>
public sealed class GeminiAnalyzeForm
{
    /// <summary>What Gemini should look for in each image (required).</summary>
    [FromForm(Name = "prompt")]
    public string? Prompt { get; set; }

    /// <summary>One or more images (JPEG, PNG or WebP), each as a form field named <c>files</c>.</summary>
    [FromForm(Name = "files")]
    public List<IFormFile>? Files { get; set; }

    /// <summary>Optional JSON Schema (an object schema) each image's answer must follow; a grouping-friendly default otherwise.</summary>
    [FromForm(Name = "schema_json")]
    public string? SchemaJson { get; set; }
}
