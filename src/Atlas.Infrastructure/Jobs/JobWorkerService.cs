using System.Collections.Concurrent;
using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// The job worker (roles <c>all</c> and <c>worker</c>): consumes tasks with the configured prefetch, runs up to
/// <see cref="JobsOptions.WorkerConcurrency"/> at once through <see cref="JobProcessor"/>, and acknowledges a task only
/// after its results are recorded, so a crash redelivers it (and the store skips what was already recorded). A task
/// that fails for a reason that is not one image's is released and retried after a delay, at most
/// <see cref="JobsOptions.MaxTaskAttempts"/> times; then its remaining images are recorded as failed and it is
/// acknowledged, so no chunk is retried forever. With the in-process broker, which forgets everything on exit, it first
/// re-enqueues the pending images of every unfinished job.
/// </summary>
public sealed class JobWorkerService(
    IServiceScopeFactory scopes,
    IJobBroker broker,
    IJobStore store,
    IOptions<JobsOptions> options,
    ILogger<JobWorkerService> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<JobTask, int> _attempts = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.RunsWorkers)
        {
            logger.LogInformation("Job workers off in role {Role}", settings.Role);
            return;
        }
        await Task.Yield();
        if (broker is InProcessJobBroker) await RequeueUnfinishedAsync(settings, stoppingToken).ConfigureAwait(false);

        using var slots = new SemaphoreSlim(settings.WorkerConcurrency);
        var running = new List<Task>();
        try
        {
            await foreach (var delivery in broker.ConsumeAsync(settings.EffectivePrefetch, stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(RunAsync(delivery, slots, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: unacknowledged tasks stay with the broker (or in the store, in process).
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task RequeueUnfinishedAsync(JobsOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var job in await store.UnfinishedAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var first = 0; first < job.Total; first += settings.ChunkSize)
                {
                    var count = Math.Min(settings.ChunkSize, job.Total - first);
                    if ((await store.PendingImagesAsync(job.Id, first, count, cancellationToken).ConfigureAwait(false)).Count > 0)
                    {
                        await broker.EnqueueAsync(new JobTask(job.Id, first, count), cancellationToken).ConfigureAwait(false);
                    }
                }
                logger.LogInformation("Job {JobId} resumed: {Done} of {Total} images already done", job.Id, job.Done, job.Total);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Unfinished jobs could not be re-enqueued");
        }
    }

    /// <summary>
    /// Records the task's remaining images as failed; when even that fails (the job's own data is unreadable), the
    /// job is marked failed, so the task is acknowledged either way and never comes back.
    /// </summary>
    private async Task<JobTaskOutcome> GiveUpAsync(JobProcessor processor, JobTask task, string reason, CancellationToken stoppingToken)
    {
        try
        {
            return await processor.FailRemainingAsync(task, reason, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Job {JobId} cannot record failures; the job is marked failed", task.JobId);
            await store.FailAsync(task.JobId, reason, DateTimeOffset.UtcNow, stoppingToken).ConfigureAwait(false);
            var job = await store.GetAsync(task.JobId, stoppingToken).ConfigureAwait(false);
            if (job is { WebhookUrl: not null }) _ = NotifyAsync(job, stoppingToken);
            return new JobTaskOutcome(0, job);
        }
    }

    /// <summary>The webhook, in the background, from its own scope (the typed HttpClient is scoped to the call).</summary>
    private async Task NotifyAsync(JobRecord job, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IJobCompletionNotifier>().NotifyAsync(job, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Job {JobId} webhook failed", job.Id);
        }
    }

    private async Task RunAsync(IJobDelivery delivery, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        var task = delivery.Task;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var processor = scope.ServiceProvider.GetRequiredService<JobProcessor>();
            JobTaskOutcome outcome;
            try
            {
                outcome = await processor.ProcessAsync(task, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                var attempt = _attempts.AddOrUpdate(task, 1, (_, n) => n + 1);
                if (attempt < options.Value.MaxTaskAttempts)
                {
                    logger.LogWarning(ex, "Job {JobId} task {First}+{Count} failed (attempt {Attempt} of {Max}); retrying",
                        task.JobId, task.FirstIndex, task.Count, attempt, options.Value.MaxTaskAttempts);
                    await Task.Delay(TimeSpan.FromSeconds(options.Value.RetryDelaySeconds), stoppingToken).ConfigureAwait(false);
                    await delivery.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }
                logger.LogError(ex, "Job {JobId} task {First}+{Count} failed {Attempts} times; its remaining images are recorded as failed",
                    task.JobId, task.FirstIndex, task.Count, attempt);
                outcome = await GiveUpAsync(processor, task, $"The image could not be processed after {attempt} attempts ({ex.Message}).", stoppingToken).ConfigureAwait(false);
            }
            _attempts.TryRemove(task, out _);
            await delivery.AckAsync(CancellationToken.None).ConfigureAwait(false);
            if (outcome is { Recorded: > 0, Job: { State: JobState.Completed, WebhookUrl: not null } job })
            {
                _ = NotifyAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Left unacknowledged: redelivered by the broker, or re-enqueued from the store at the next start.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} task {First}+{Count} could not be settled", task.JobId, task.FirstIndex, task.Count);
            try
            {
                await delivery.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception release) when (release is not OperationCanceledException)
            {
                logger.LogError(release, "Job task could not be released");
            }
        }
        finally
        {
            slots.Release();
        }
    }
}
