using Atlas.Domain.Jobs;

namespace Atlas.Application.Jobs;

/// <summary>A job as the API shows it: the stored record plus its throughput and, while it runs, an estimate of the time left.</summary>
/// <param name="Job">The stored job.</param>
/// <param name="ImagesPerSecond">Images finished (failed ones included) per second since the first one, or null before any.</param>
/// <param name="EtaSeconds">Seconds to the last image at that rate, while queued or running; else null.</param>
public sealed record JobStatus(JobRecord Job, double? ImagesPerSecond, double? EtaSeconds)
{
    public static JobStatus Of(JobRecord job, DateTimeOffset now)
    {
        double? rate = null, eta = null;
        var finished = job.Done; // every recorded image, failed ones included
        if (job.StartedAt is { } started && finished > 0)
        {
            var seconds = ((job.FinishedAt ?? now) - started).TotalSeconds;
            if (seconds > 0) rate = finished / seconds;
        }
        if (job.State is JobState.Queued or JobState.Running && rate is > 0)
        {
            eta = (job.Total - finished) / rate.Value;
        }
        return new JobStatus(job, rate, eta);
    }

    /// <summary>The wire name of a state.</summary>
    public static string StateName(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        _ => "cancelled",
    };

    public static bool IsFinished(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;
}

/// <summary>Told when a job ends (the completion webhook); implemented in Infrastructure.</summary>
public interface IJobCompletionNotifier
{
    /// <summary>Delivers the job's final state to its webhook, with retries; never throws for the webhook's sake.</summary>
    Task NotifyAsync(JobRecord job, CancellationToken cancellationToken);
}
