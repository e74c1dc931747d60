using Atlas.Api.Contracts;
using Atlas.Api.Contracts.Batch;
using Atlas.Api.Security;
using Atlas.Api.Uploads;
using Atlas.Application.Jobs;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Jobs;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Controllers;

/// <summary>
/// Jobs: durable asynchronous batches for whole seasons. Submit (202 + Location), poll, fetch the results so far or
/// in full in the batch formats, cancel, list. Embedded by default (SQLite under JOBS_DATA_DIR, in-process workers).
/// </summary>
[ApiController]
[Authorize(Policy = AtlasPolicies.Client)]
public sealed class JobsController(ISender sender, JobIntake intake, IJobStaging staging, ISpeciesClassifier classifier) : ControllerBase
{
    /// <summary>Submit a job: images, an archive, or paths under JOBS_INPUT_ROOT.</summary>
    /// <remarks>
    /// <c>multipart/form-data</c> as <c>POST /v1/predictions</c> takes it (text fields first: <c>mode</c>,
    /// <c>classify_all_boxes</c>, <c>max_classifications</c>, <c>min_box_confidence</c>, <c>country</c>,
    /// <c>admin1_region</c>, <c>latitude</c>, <c>longitude</c>, <c>metadata</c>, <c>webhook_url</c>; then one file part
    /// per image, or zip / tar / tar.gz archive parts read entry by entry), or <c>application/json</c>
    /// <c>{"paths": ["camera1/", "camera2/IMG_0001.JPG"], ...the same fields}</c> naming files or folders under
    /// <c>JOBS_INPUT_ROOT</c> (anything outside it, also through a symbolic link, is refused). Answers 202 with the job
    /// and its <c>Location</c>; with an <c>Idempotency-Key</c> header a resubmission answers the same job
    /// (<c>Idempotent-Replayed: true</c>). Images are staged on disk and deleted when the job's retention ends.
    /// </remarks>
    [HttpPost("v1/jobs", Name = "submitJob")]
    [DisableRequestTimeout]
    [ProducesResponseType<JobResponse>(StatusCodes.Status202Accepted)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    public async Task<IActionResult> Submit()
    {
        // No bound parameters (a header one too): any would make MVC's form value provider read the whole body first.
        // JobIntake streams it, staging image by image.
        var idempotencyKey = Request.Headers["Idempotency-Key"].ToString();
        var cancellationToken = HttpContext.RequestAborted;
        var jobId = Guid.CreateVersion7().ToString("N");
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey.Trim();
        SubmitJobResult result;
        try
        {
            var command = await intake.ReadAsync(Request, sender, jobId, key, cancellationToken);
            result = await sender.Send(command, cancellationToken);
        }
        catch
        {
            await staging.DeleteJobAsync(jobId, CancellationToken.None);
            throw;
        }
        if (!result.Created) Response.Headers["Idempotent-Replayed"] = "true";
        return AcceptedAtRoute("getJob", new { id = result.Status.Job.Id }, JobResponse.From(result.Status));
    }

    /// <summary>List jobs, newest first.</summary>
    /// <remarks><c>limit</c> (1-500, default 50) per page; pass the answer's <c>next</c> as <c>before</c> for the next page.</remarks>
    [HttpGet("v1/jobs", Name = "listJobs")]
    [ProducesResponseType<JobListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<JobListResponse> List([FromQuery(Name = "limit")] int? limit, [FromQuery(Name = "before")] string? before, CancellationToken cancellationToken)
    {
        var page = await sender.Send(new ListJobsQuery(limit, string.IsNullOrWhiteSpace(before) ? null : before.Trim()), cancellationToken);
        return new JobListResponse([.. page.Jobs.Select(JobResponse.From)], page.Next);
    }

    /// <summary>A job's state, counts, throughput and ETA.</summary>
    [HttpGet("v1/jobs/{id}", Name = "getJob")]
    [ProducesResponseType<JobResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<JobResponse> Get(string id, CancellationToken cancellationToken) =>
        JobResponse.From(await sender.Send(new GetJobQuery(id), cancellationToken));

    /// <summary>Cancel a queued or running job.</summary>
    /// <remarks>Results recorded so far are kept and can still be fetched; 409 when the job already ended.</remarks>
    [HttpDelete("v1/jobs/{id}", Name = "cancelJob")]
    [ProducesResponseType<JobResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public async Task<JobResponse> Cancel(string id, CancellationToken cancellationToken) =>
        JobResponse.From(await sender.Send(new CancelJobCommand(id), cancellationToken));

    /// <summary>A job's results so far (all of them once completed), in a batch format.</summary>
    /// <remarks>
    /// <c>?format=</c> speciesnet (default) | megadetector | csv, exactly as <c>POST /v1/predictions</c> writes them, in
    /// input order. Read from the store through a temporary spool and streamed; the <c>Job-State</c> header says whether
    /// more are to come.
    /// </remarks>
    [HttpGet("v1/jobs/{id}/results", Name = "getJobResults")]
    [DisableRequestTimeout]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> Results(string id, [FromQuery(Name = "format")] string? format, CancellationToken cancellationToken)
    {
        var results = await sender.Send(new GetJobResultsQuery(id, format), cancellationToken);
        Response.Headers["Job-State"] = JobStatus.StateName(results.Status.Job.State);
        // A snapshot of the results so far, spooled to a temporary file (memory holds one result at a time): the writers
        // read it more than once (MegaDetector sorts by file), and a running job must not change between the reads.
        var spool = BatchResultSpool.Create();
        Response.RegisterForDisposeAsync(spool);
        await foreach (var result in results.Read(cancellationToken)) await spool.AddAsync(result, cancellationToken);
        return new BatchOutputResult(results.Format, results.Mode, spool, classifier.Status.Version);
    }
}
