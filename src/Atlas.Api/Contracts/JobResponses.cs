using Atlas.Application.Jobs;

namespace Atlas.Api.Contracts;

/// <summary>A job as <c>/v1/jobs</c> shows it (snake_case on the wire).</summary>
public sealed class JobResponse
{
    /// <summary>Job id.</summary>
    public required string Id { get; init; }

    /// <summary>queued, running, completed, failed or cancelled.</summary>
    public required string State { get; init; }

    /// <summary>Images in the job.</summary>
    public required int Total { get; init; }

    /// <summary>Images finished (with a result, failed ones included).</summary>
    public required int Done { get; init; }

    /// <summary>Images whose result is a failure (not an image, unreadable, over the size limit…).</summary>
    public required int Failed { get; init; }

    /// <summary>Images finished per second since the first started; null before any.</summary>
    public double? ImagesPerSecond { get; init; }

    /// <summary>Estimated seconds to the last image while queued or running; else null.</summary>
    public double? EtaSeconds { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the job, its staged images and its results are deleted (JOBS_RETENTION_HOURS).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Why a failed job failed; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>The job's own URL.</summary>
    public required string StatusUrl { get; init; }

    /// <summary>Its results (add ?format=megadetector or csv).</summary>
    public required string ResultsUrl { get; init; }

    public static JobResponse From(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var job = status.Job;
        return new JobResponse
        {
            Id = job.Id,
            State = JobStatus.StateName(job.State),
            Total = job.Total,
            Done = job.Done,
            Failed = job.Failed,
            ImagesPerSecond = status.ImagesPerSecond is { } r ? Math.Round(r, 3) : null,
            EtaSeconds = status.EtaSeconds is { } e ? Math.Round(e, 1) : null,
            CreatedAt = job.CreatedAt,
            StartedAt = job.StartedAt,
            FinishedAt = job.FinishedAt,
            ExpiresAt = job.ExpiresAt,
            Error = job.Error,
            StatusUrl = $"/v1/jobs/{job.Id}",
            ResultsUrl = $"/v1/jobs/{job.Id}/results",
        };
    }
}

/// <summary>One page of <c>GET /v1/jobs</c>, newest first.</summary>
public sealed class JobListResponse
{
    public required IReadOnlyList<JobResponse> Jobs { get; init; }

    /// <summary>Pass as <c>before</c> for the next page; null on the last page.</summary>
    public string? Next { get; init; }
}
