using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Jobs;

/// <summary>Deletes jobs whose retention ended (their staged images, their results, the job) at start and every sweep interval.</summary>
public sealed class JobRetentionService(IJobStore store, IJobStaging staging, IOptions<JobsOptions> options, TimeProvider clock, ILogger<JobRetentionService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.RetentionSweepMinutes), clock);
        do
        {
            await SweepAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One sweep; returns how many jobs were deleted.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        try
        {
            foreach (var job in await store.ExpiredAsync(clock.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                await staging.DeleteJobAsync(job.Id, cancellationToken).ConfigureAwait(false);
                await store.DeleteAsync(job.Id, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            if (deleted > 0) logger.LogInformation("Retention: deleted {Count} expired jobs", deleted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Retention sweep failed");
        }
        return deleted;
    }
}
