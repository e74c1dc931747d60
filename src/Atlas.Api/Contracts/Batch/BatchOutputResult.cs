using System.Text.Json;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Contracts.Batch;

/// <summary>
/// Writes batch results in the requested format (JSON written in reference key order, or CSV), reading them from
/// <paramref name="results"/> and sending the answer in pieces as it is written, so its size never sits in memory.
/// </summary>
public sealed class BatchOutputResult(OutputFormat format, ComponentMode mode, IBatchResultSource results, string modelVersion) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (format == OutputFormat.Csv)
        {
            response.ContentType = "text/csv; charset=utf-8";
            response.Headers.ContentDisposition = "inline; filename=\"predictions.csv\"";
            await CsvWriter.WriteAsync(response.Body, results, context.HttpContext.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (format == OutputFormat.MegaDetector)
            await MegaDetectorWriter.WriteAsync(json, results, modelVersion, context.HttpContext.RequestAborted).ConfigureAwait(false);
        else
            await SpeciesNetJsonWriter.WriteAsync(json, results, mode, context.HttpContext.RequestAborted).ConfigureAwait(false);
        await json.FlushAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
