using System.ComponentModel.DataAnnotations;
using Atlas.Application.Configuration;

namespace Atlas.Application.Jobs;

/// <summary>
/// Asynchronous jobs (<c>/v1/jobs</c>, configuration section <c>Jobs</c>, env <c>JOBS_*</c>). With nothing set, jobs
/// run in process: a SQLite store and the staged uploads under <see cref="DataDir"/>, an in-process queue, workers in
/// the same process. At scale the broker (RabbitMQ) and the store (PostgreSQL) are chosen here and workers run as
/// separate processes of the same binary with <see cref="Role"/> = worker.
/// </summary>
public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Folder of the SQLite store and the staged uploads (env <c>JOBS_DATA_DIR</c>); relative to the working directory.</summary>
    [Required]
    public string DataDir { get; set; } = "data/jobs";

    /// <summary>Hours a job, its staged images and its results are kept after submission (env <c>JOBS_RETENTION_HOURS</c>).</summary>
    [Range(1, 24 * 366)]
    public int RetentionHours { get; set; } = 168;

    /// <summary>Images per queued task (env <c>JOBS_CHUNK_SIZE</c>): the unit a worker takes, acknowledges and, after a crash, redoes.</summary>
    [Range(1, 1024)]
    public int ChunkSize { get; set; } = 8;

    /// <summary>Tasks one worker process runs at once (env <c>JOBS_WORKER_CONCURRENCY</c>); each holds an inference slot per image.</summary>
    [Range(1, 256)]
    public int WorkerConcurrency { get; set; } = 2;

    /// <summary>Unacknowledged tasks a worker holds (env <c>JOBS_PREFETCH</c>); 0 = the worker concurrency.</summary>
    [Range(0, 4096)]
    public int Prefetch { get; set; }

    /// <summary>
    /// <c>all</c> (default: API and workers), <c>api</c> (no workers) or <c>worker</c> (workers; routes still served)
    /// (env <c>JOBS_ROLE</c>).
    /// </summary>
    [Required]
    [AllowedValues("all", "api", "worker")]
    public string Role { get; set; } = "all";

    /// <summary><c>inprocess</c> (default) or <c>rabbitmq</c> (env <c>JOBS_BROKER</c>).</summary>
    [Required]
    [AllowedValues("inprocess", "rabbitmq")]
    public string Broker { get; set; } = "inprocess";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c> (env <c>JOBS_STORE</c>).</summary>
    [Required]
    [AllowedValues("sqlite", "postgres")]
    public string Store { get; set; } = "sqlite";

    /// <summary>Read-only folder that JSON path submissions may name (env <c>JOBS_INPUT_ROOT</c>); unset refuses path jobs.</summary>
    [ExistingFolder]
    public string? InputRoot { get; set; }

    /// <summary>Most images in one job (env <c>JOBS_MAX_IMAGES</c>).</summary>
    [Range(1, 100_000_000)]
    public int MaxImages { get; set; } = 10_000_000;

    /// <summary>Largest <c>POST /v1/jobs</c> body in bytes (env <c>JOBS_MAX_REQUEST_BYTES</c>, default 1 TiB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 1L << 40;

    /// <summary>Times a task is tried before its remaining images are recorded as failed (a fault that is not one image's).</summary>
    [Range(1, 100)]
    public int MaxTaskAttempts { get; set; } = 3;

    /// <summary>Seconds between two tries of a failed task.</summary>
    [Range(0, 3600)]
    public double RetryDelaySeconds { get; set; } = 2;

    /// <summary>Attempts of the completion webhook (env <c>JOBS_WEBHOOK_ATTEMPTS</c>).</summary>
    [Range(1, 20)]
    public int WebhookAttempts { get; set; } = 5;

    /// <summary>Minutes between two retention sweeps.</summary>
    [Range(0.01, 24 * 60)]
    public double RetentionSweepMinutes { get; set; } = 15;

    /// <summary>Whether this process runs workers.</summary>
    public bool RunsWorkers => Role is "all" or "worker";

    /// <summary>Unacknowledged tasks per worker process.</summary>
    public int EffectivePrefetch => Prefetch > 0 ? Prefetch : WorkerConcurrency;

    /// <summary><see cref="DataDir"/> as a full path.</summary>
    public string DataDirFullPath => Path.GetFullPath(DataDir);
}
