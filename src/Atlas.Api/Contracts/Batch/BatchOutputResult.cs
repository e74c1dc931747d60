using System.Text;
using System.Text.Json;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Contracts.Batch;

/// <summary>Writes batch results in the requested format (JSON written in reference key order, or CSV).</summary>
public sealed class BatchOutputResult(OutputFormat format, ComponentMode mode, IReadOnlyList<BatchImageResult> results, string modelVersion) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (format == OutputFormat.Csv)
        {
            response.ContentType = "text/csv; charset=utf-8";
            response.Headers.ContentDisposition = "inline; filename=\"predictions.csv\"";
            await response.WriteAsync(CsvWriter.Write(results), Encoding.UTF8, context.HttpContext.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (format == OutputFormat.MegaDetector)
            MegaDetectorWriter.Write(json, results, modelVersion);
        else
            SpeciesNetJsonWriter.Write(json, results, mode);
        await json.FlushAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
