using Atlas.Application.Images;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.Jobs;
using Atlas.Domain.SpeciesNet;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Jobs;

/// <summary>What running one task did.</summary>
/// <param name="Recorded">Results this run recorded (0 when a redelivered task found them all done).</param>
/// <param name="Job">The job after the task, or null when it is gone.</param>
public sealed record JobTaskOutcome(int Recorded, JobRecord? Job);

/// <summary>
/// Runs one <see cref="JobTask"/>: each of its images that has no result yet goes through the batch route's own
/// pipeline (<see cref="PredictBatchImageCommand"/>: validation, inference gate, SpeciesNet) and its result is
/// recorded once with <see cref="IJobStore.RecordResultAsync"/>. A bad image becomes that image's failure (as in a
/// batch); an image whose bytes cannot be read (staged file gone, path refused) too. Only faults that are not one
/// image's (store down, engine not ready, cancellation) escape, so the worker can release the task and retry it.
/// </summary>
public sealed class JobProcessor(
    IJobStore store,
    IJobStaging staging,
    ISender sender,
    ISpeciesClassifier classifier,
    IOptions<JobsOptions> options,
    IOptions<UploadOptions> uploadOptions,
    TimeProvider clock,
    ILogger<JobProcessor> logger)
{
    public async Task<JobTaskOutcome> ProcessAsync(JobTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var job = await store.GetAsync(task.JobId, cancellationToken).ConfigureAwait(false);
        if (job is null || JobStatus.IsFinished(job.State)) return new JobTaskOutcome(0, job);

        var settings = JobResultCodec.DecodeSettings(job.OptionsJson);
        var pending = await store.PendingImagesAsync(task.JobId, task.FirstIndex, task.Count, cancellationToken).ConfigureAwait(false);
        var recorded = 0;
        foreach (var image in pending)
        {
            var result = await PredictAsync(image, settings, cancellationToken).ConfigureAwait(false);
            var row = new JobResultRow(image.Index, result.Error is not null, JobResultCodec.EncodeResult(result));
            if (await store.RecordResultAsync(task.JobId, row, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                recorded++;
            }
            else if (await store.GetAsync(task.JobId, cancellationToken).ConfigureAwait(false) is not { State: JobState.Queued or JobState.Running })
            {
                break; // Cancelled (or deleted) meanwhile: stop spending the models on it.
            }
        }
        return new JobTaskOutcome(recorded, await store.GetAsync(task.JobId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// After the last attempt of a task that kept failing: records every image still without a result as failed with
    /// <paramref name="reason"/>, so the job still ends (with those failures counted) instead of waiting forever.
    /// </summary>
    public async Task<JobTaskOutcome> FailRemainingAsync(JobTask task, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var job = await store.GetAsync(task.JobId, cancellationToken).ConfigureAwait(false);
        if (job is null || JobStatus.IsFinished(job.State)) return new JobTaskOutcome(0, job);
        var settings = JobResultCodec.DecodeSettings(job.OptionsJson);
        var recorded = 0;
        foreach (var image in await store.PendingImagesAsync(task.JobId, task.FirstIndex, task.Count, cancellationToken).ConfigureAwait(false))
        {
            var result = Failed(image.FilePath, Requested(image, settings), settings.Options.Mode, reason);
            var row = new JobResultRow(image.Index, true, JobResultCodec.EncodeResult(result));
            if (await store.RecordResultAsync(task.JobId, row, clock.GetUtcNow(), cancellationToken).ConfigureAwait(false)) recorded++;
        }
        return new JobTaskOutcome(recorded, await store.GetAsync(task.JobId, cancellationToken).ConfigureAwait(false));
    }

    private async Task<BatchImageResult> PredictAsync(JobImage image, JobSettings settings, CancellationToken cancellationToken)
    {
        var requested = Requested(image, settings);
        var (bytes, rejection) = image.Rejection is not null ? ([], image.Rejection) : await ReadAsync(image, cancellationToken).ConfigureAwait(false);
        var upload = new ImageUpload("files", image.FilePath, null, bytes);
        return await sender.Send(new PredictBatchImageCommand(upload, requested, settings.Options, rejection), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The image's own location over the job's defaults, as the batch route merges a metadata entry.</summary>
    private static GeoLocation Requested(JobImage image, JobSettings settings)
    {
        var own = JobResultCodec.DecodeLocation(image.LocationJson);
        if (own is null) return settings.Defaults;
        var plan = new BatchPlan(OutputFormat.SpeciesNet, settings.Options, settings.Defaults,
            new Dictionary<string, GeoLocation>(StringComparer.Ordinal) { [image.FilePath] = own });
        return plan.LocationFor(image.FilePath);
    }

    /// <summary>The image bytes, or why they cannot be read (which becomes the image's failure).</summary>
    private async Task<(byte[] Bytes, string? Rejection)> ReadAsync(JobImage image, CancellationToken cancellationToken)
    {
        var limit = uploadOptions.Value.MaxFileBytes;
        try
        {
            Stream stream;
            if (JobInputRoot.IsPathSource(image.Source))
            {
                var root = options.Value.InputRoot;
                if (string.IsNullOrWhiteSpace(root)) return ([], $"'{image.FilePath}' names a file under JOBS_INPUT_ROOT, which is no longer set.");
                var path = JobInputRoot.Resolve(JobInputRoot.RealRoot(root), image.Source[JobInputRoot.PathPrefix.Length..], out var problem);
                if (path is null || !File.Exists(path)) return ([], $"'{image.FilePath}' {problem ?? "is not a file."}");
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
            }
            else
            {
                stream = await staging.OpenAsync(image.Source, cancellationToken).ConfigureAwait(false);
            }
            await using (stream.ConfigureAwait(false))
            {
                if (stream.CanSeek && stream.Length > limit)
                {
                    return ([], $"The file '{image.FilePath}' is {stream.Length:N0} bytes; the limit per image is {limit:N0} bytes.");
                }
                using var memory = new MemoryStream();
                await stream.CopyToAsync(memory, cancellationToken).ConfigureAwait(false);
                if (memory.Length > limit) return ([], $"The file '{image.FilePath}' is {memory.Length:N0} bytes; the limit per image is {limit:N0} bytes.");
                return (memory.ToArray(), null);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Job image {File} could not be read: {Reason}", image.FilePath, ex.Message);
            return ([], $"The file '{image.FilePath}' could not be read ({ex.Message}).");
        }
    }

    private BatchImageResult Failed(string filePath, GeoLocation location, ComponentMode mode, string reason)
    {
        var failures = mode switch
        {
            ComponentMode.DetectorOnly => new[] { PredictionFailures.Detector },
            ComponentMode.ClassifierOnly => [PredictionFailures.Classifier],
            _ => [PredictionFailures.Classifier, PredictionFailures.Detector],
        };
        var prediction = new SpeciesNetPrediction(failures, location, null, null, null, null, null, classifier.Status.Version);
        return new BatchImageResult(filePath, prediction, location == GeoLocation.None ? LocationSources.None : LocationSources.Request, null, null, ImageMetadata.None, null, reason);
    }
}
