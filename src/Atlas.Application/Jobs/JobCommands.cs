using Atlas.Application.Predictions.Batch;
using Atlas.Domain.Errors;
using Atlas.Domain.Jobs;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Jobs;

/// <summary>
/// Stores a job whose images the API has already staged (or resolved under the input root) and queues its tasks, one
/// per <see cref="JobsOptions.ChunkSize"/> images. With an <paramref name="IdempotencyKey"/> that names an existing
/// job, that job is returned instead and the images staged for this request are deleted. When queueing its tasks
/// fails (the broker is down: <see cref="ServiceUnavailableException"/>, 503 + Retry-After), the job just stored is
/// deleted again with its staged images, so nothing half-done stays behind (no job <c>queued</c> forever without
/// tasks) and a resubmission, with the same Idempotency-Key or none, starts afresh.
/// </summary>
public sealed record SubmitJobCommand(
    string JobId,
    string? IdempotencyKey,
    string? WebhookUrl,
    AnalysisOptions Options,
    GeoLocation Defaults,
    IReadOnlyList<JobImage> Images) : ICommand<SubmitJobResult>;

public sealed record SubmitJobResult(JobStatus Status, bool Created);

public sealed class SubmitJobValidator : AbstractValidator<SubmitJobCommand>
{
    public const int MaxIdempotencyKeyLength = 255;

    public SubmitJobValidator(IOptions<JobsOptions> options)
    {
        var max = options.Value.MaxImages;
        RuleFor(c => c.Images).NotEmpty()
            .WithMessage("No images: send file parts, an archive, or a non-empty paths list.").OverridePropertyName("files");
        RuleFor(c => c.Images.Count).LessThanOrEqualTo(max)
            .WithMessage($"A job holds at most {max:N0} images (JOBS_MAX_IMAGES).").OverridePropertyName("files");
        RuleFor(c => c.WebhookUrl)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .When(c => c.WebhookUrl is not null)
            .WithMessage("webhook_url must be an absolute http(s) URL.").OverridePropertyName("webhook_url");
        RuleFor(c => c.IdempotencyKey)
            .Must(k => k!.Length <= MaxIdempotencyKeyLength && k.All(ch => ch is >= ' ' and <= '~'))
            .When(c => c.IdempotencyKey is not null)
            .WithMessage($"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters.").OverridePropertyName("Idempotency-Key");
    }
}

public sealed partial class SubmitJobHandler(
    IJobStore store,
    IJobBroker broker,
    IJobStaging staging,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<SubmitJobHandler> logger)
    : ICommandHandler<SubmitJobCommand, SubmitJobResult>
{
    public async ValueTask<SubmitJobResult> Handle(SubmitJobCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var settings = JobResultCodec.EncodeSettings(new JobSettings(command.Options, command.Defaults));
        var job = new NewJob(command.JobId, command.IdempotencyKey, settings, command.Images, command.WebhookUrl, now,
            now.AddHours(options.Value.RetentionHours));
        var (record, created) = await store.CreateAsync(job, cancellationToken).ConfigureAwait(false);
        if (!created)
        {
            if (record.Id != command.JobId) await staging.DeleteJobAsync(command.JobId, CancellationToken.None).ConfigureAwait(false);
            return new SubmitJobResult(JobStatus.Of(record, now), false);
        }
        try
        {
            await JobChunks.EnqueueAllAsync(broker, record, options.Value.ChunkSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Broker down, or the client went away mid-enqueue: undo the job. Tasks already queued find no job (a
            // worker records nothing for a deleted job) and are acknowledged.
            await AbandonAsync(record.Id, ex).ConfigureAwait(false);
            throw;
        }
        return new SubmitJobResult(JobStatus.Of(record, now), true);
    }

    private async Task AbandonAsync(string jobId, Exception cause)
    {
        LogAbandoned(jobId, cause.Message);
        try
        {
            await store.DeleteAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The store failed too: a failed job with a clear reason is the next best thing to no job.
            LogDeleteFailed(ex, jobId);
            try
            {
                await store.FailAsync(jobId, $"Its tasks could not be queued ({cause.Message}); submit it again.", clock.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception failEx)
            {
                LogFailFailed(failEx, jobId);
            }
        }
        try
        {
            await staging.DeleteJobAsync(jobId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogStagingNotDeleted(ex, jobId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was not submitted: its tasks could not be queued ({Reason}); the job and its staged images are deleted")]
    private partial void LogAbandoned(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}, whose tasks could not be queued, could not be deleted; marking it failed")]
    private partial void LogDeleteFailed(Exception ex, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}, whose tasks could not be queued, could not be marked failed either")]
    private partial void LogFailFailed(Exception ex, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The staged images of abandoned job {JobId} could not be deleted")]
    private partial void LogStagingNotDeleted(Exception ex, string jobId);
}

/// <summary>How a job is cut into tasks.</summary>
public static class JobChunks
{
    public static async Task EnqueueAllAsync(IJobBroker broker, JobRecord job, int chunkSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(job);
        for (var first = 0; first < job.Total; first += chunkSize)
        {
            await broker.EnqueueAsync(new JobTask(job.Id, first, Math.Min(chunkSize, job.Total - first)), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A job's state, counts, throughput and ETA; 404 when unknown (or expired).</summary>
public sealed record GetJobQuery(string JobId) : IQuery<JobStatus>;

public sealed class GetJobHandler(IJobStore store, TimeProvider clock) : IQueryHandler<GetJobQuery, JobStatus>
{
    public async ValueTask<JobStatus> Handle(GetJobQuery query, CancellationToken cancellationToken)
    {
        var job = await JobLookup.RequireAsync(store, query.JobId, cancellationToken).ConfigureAwait(false);
        return JobStatus.Of(job, clock.GetUtcNow());
    }
}

internal static class JobLookup
{
    public static async Task<JobRecord> RequireAsync(IJobStore store, string jobId, CancellationToken cancellationToken) =>
        await store.GetAsync(jobId, cancellationToken).ConfigureAwait(false)
        ?? throw new ResourceNotFoundException($"No job '{jobId}': it never existed or its retention ended.");
}

/// <summary>Jobs newest first, <paramref name="Limit"/> per page (default 50); <paramref name="Before"/> is the previous page's <c>next</c>.</summary>
public sealed record ListJobsQuery(int? Limit, string? Before) : IQuery<JobPage>;

/// <summary>One page of jobs; <paramref name="Next"/> is the cursor of the next page, null on the last.</summary>
public sealed record JobPage(IReadOnlyList<JobStatus> Jobs, string? Next);

public sealed class ListJobsValidator : AbstractValidator<ListJobsQuery>
{
    public const int MaxLimit = 500;

    public ListJobsValidator()
    {
        RuleFor(q => q.Limit).InclusiveBetween(1, MaxLimit).When(q => q.Limit is not null)
            .WithMessage($"limit must be from 1 to {MaxLimit}.").OverridePropertyName("limit");
    }
}

public sealed class ListJobsHandler(IJobStore store, TimeProvider clock) : IQueryHandler<ListJobsQuery, JobPage>
{
    public const int DefaultLimit = 50;

    public async ValueTask<JobPage> Handle(ListJobsQuery query, CancellationToken cancellationToken)
    {
        var limit = query.Limit ?? DefaultLimit;
        if (query.Before is not null) await JobLookup.RequireAsync(store, query.Before, cancellationToken).ConfigureAwait(false);
        var jobs = await store.ListAsync(limit + 1, query.Before, cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var page = jobs.Take(limit).Select(j => JobStatus.Of(j, now)).ToList();
        return new JobPage(page, jobs.Count > limit ? page[^1].Job.Id : null);
    }
}

/// <summary>Cancels a queued or running job (results so far are kept); 404 unknown, 409 when it already ended.</summary>
public sealed record CancelJobCommand(string JobId) : ICommand<JobStatus>;

public sealed class CancelJobHandler(IJobStore store, TimeProvider clock) : ICommandHandler<CancelJobCommand, JobStatus>
{
    public async ValueTask<JobStatus> Handle(CancelJobCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (!await store.CancelAsync(command.JobId, now, cancellationToken).ConfigureAwait(false))
        {
            var job = await JobLookup.RequireAsync(store, command.JobId, cancellationToken).ConfigureAwait(false);
            throw new ResourceConflictException($"Job '{job.Id}' is already {JobStatus.StateName(job.State)}; only queued or running jobs can be cancelled.");
        }
        return JobStatus.Of(await JobLookup.RequireAsync(store, command.JobId, cancellationToken).ConfigureAwait(false), now);
    }
}

/// <summary>The results recorded so far (all of them once the job completed) in one of the batch formats.</summary>
public sealed record GetJobResultsQuery(string JobId, string? Format) : IQuery<JobResults>;

/// <summary>
/// A job's results: <see cref="Read"/> streams them from the store in index order and may be called again (the
/// MegaDetector writer reads twice), so the answer never holds a whole season in memory.
/// </summary>
public sealed record JobResults(JobStatus Status, OutputFormat Format, ComponentMode Mode, Func<CancellationToken, IAsyncEnumerable<BatchImageResult>> Read);

public sealed class GetJobResultsValidator : AbstractValidator<GetJobResultsQuery>
{
    public GetJobResultsValidator()
    {
        RuleFor(q => q.Format).Must(f => BatchSettings.TryFormat(f, out _))
            .WithMessage("format must be speciesnet (default), megadetector or csv.").OverridePropertyName("format");
    }
}

public sealed class GetJobResultsHandler(IJobStore store, TimeProvider clock) : IQueryHandler<GetJobResultsQuery, JobResults>
{
    public async ValueTask<JobResults> Handle(GetJobResultsQuery query, CancellationToken cancellationToken)
    {
        var job = await JobLookup.RequireAsync(store, query.JobId, cancellationToken).ConfigureAwait(false);
        BatchSettings.TryFormat(query.Format, out var format);
        var settings = JobResultCodec.DecodeSettings(job.OptionsJson);
        return new JobResults(JobStatus.Of(job, clock.GetUtcNow()), format, settings.Options.Mode, ct => ReadAsync(job.Id, ct));
    }

    private async IAsyncEnumerable<BatchImageResult> ReadAsync(string jobId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in store.ReadResultsAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            yield return JobResultCodec.DecodeResult(row.ResultJson);
        }
    }
}
