using System.Text.Json.Serialization;
using Atlas.Application.Jobs;

namespace Atlas.Api.Contracts;

/// <summary>A job as <c>/v1/jobs</c> shows it.</summary>
/// <param name="Id">Job id.</param>
/// <param name="State">queued, running, completed, failed or cancelled.</param>
/// <param name="Total">Images in the job.</param>
/// <param name="Done">Images finished, failed ones included; the job is complete when done = total.</param>
/// <param name="Failed">Images whose result is a failure (not an image, unreadable, over the size limit…).</param>
/// <param name="ImagesPerSecond">Images finished per second since the first started; null before any.</param>
/// <param name="EtaSeconds">Estimated seconds to the last image while queued or running; else null.</param>
/// <param name="CreatedAt">Submission time.</param>
/// <param name="StartedAt">When the first image finished; null before.</param>
/// <param name="FinishedAt">When the job ended; null while queued or running.</param>
/// <param name="ExpiresAt">When the job, its staged images and its results are deleted (JOBS_RETENTION_HOURS).</param>
/// <param name="Error">Why a failed job failed; null otherwise.</param>
/// <param name="StatusUrl">The job's own URL.</param>
/// <param name="ResultsUrl">Its results (add ?format=megadetector or csv).</param>
public sealed record JobResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("done")] int Done,
    [property: JsonPropertyName("failed")] int Failed,
    [property: JsonPropertyName("images_per_second")] double? ImagesPerSecond,
    [property: JsonPropertyName("eta_seconds")] double? EtaSeconds,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("started_at")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("finished_at")] DateTimeOffset? FinishedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("status_url")] string StatusUrl,
    [property: JsonPropertyName("results_url")] string ResultsUrl)
{
    public static JobResponse From(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var job = status.Job;
        return new JobResponse(
            job.Id,
            JobStatus.StateName(job.State),
            job.Total,
            job.Done,
            job.Failed,
            status.ImagesPerSecond is { } r ? Math.Round(r, 3) : null,
            status.EtaSeconds is { } e ? Math.Round(e, 1) : null,
            job.CreatedAt,
            job.StartedAt,
            job.FinishedAt,
            job.ExpiresAt,
            job.Error,
            $"/v1/jobs/{job.Id}",
            $"/v1/jobs/{job.Id}/results");
    }
}

/// <summary>One page of <c>GET /v1/jobs</c>, newest first.</summary>
/// <param name="Jobs">The jobs of this page.</param>
/// <param name="Next">Pass as <c>before</c> for the next page; null on the last page.</param>
public sealed record JobListResponse(
    [property: JsonPropertyName("jobs")] IReadOnlyList<JobResponse> Jobs,
    [property: JsonPropertyName("next")] string? Next);
