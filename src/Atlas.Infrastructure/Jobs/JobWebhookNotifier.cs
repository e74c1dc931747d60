using System.Net.Http.Json;
using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// The completion webhook: POSTs <c>{"id", "state", "total", "done", "failed", "finished_at"}</c> to the job's
/// <c>webhook_url</c>, retrying a failed call (network error, timeout, non-2xx) up to
/// <see cref="JobsOptions.WebhookAttempts"/> times with exponential back-off (1 s, 2 s, 4 s…). At least once: a
/// receiver should treat the job id as the key.
/// </summary>
public sealed class JobWebhookNotifier(HttpClient http, IOptions<JobsOptions> options, ILogger<JobWebhookNotifier> logger) : IJobCompletionNotifier
{
    /// <summary>First back-off; doubled after every failed attempt.</summary>
    public static TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);

    public async Task NotifyAsync(JobRecord job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.WebhookUrl is null || !Uri.TryCreate(job.WebhookUrl, UriKind.Absolute, out var url)) return;
        var body = new
        {
            id = job.Id,
            state = JobStatus.StateName(job.State),
            total = job.Total,
            done = job.Done,
            failed = job.Failed,
            finished_at = job.FinishedAt,
        };
        var delay = FirstDelay;
        for (var attempt = 1; attempt <= options.Value.WebhookAttempts; attempt++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(url, body, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    logger.LogInformation("Job {JobId} webhook delivered (attempt {Attempt})", job.Id, attempt);
                    return;
                }
                logger.LogWarning("Job {JobId} webhook answered {Status} (attempt {Attempt})", job.Id, (int)response.StatusCode, attempt);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning("Job {JobId} webhook failed (attempt {Attempt}): {Reason}", job.Id, attempt, ex.Message);
            }
            if (attempt == options.Value.WebhookAttempts) break;
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay *= 2;
        }
        logger.LogError("Job {JobId} webhook gave up after {Attempts} attempts", job.Id, options.Value.WebhookAttempts);
    }
}
