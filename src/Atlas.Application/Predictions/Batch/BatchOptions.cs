using System.ComponentModel.DataAnnotations;

namespace Atlas.Application.Predictions.Batch;

/// <summary>Limits of <c>POST /v1/predictions</c> (configuration section <c>Batch</c>).</summary>
public sealed class BatchOptions
{
    public const string SectionName = "Batch";

    /// <summary>Most images in one request (env <c>BATCH_MAX_IMAGES</c>); more is refused with 413.</summary>
    [Range(1, 100_000)]
    public int MaxImages { get; set; } = 500;

    /// <summary>Largest request body in bytes (env <c>BATCH_MAX_REQUEST_BYTES</c>, default 2 GiB); more is refused with 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
