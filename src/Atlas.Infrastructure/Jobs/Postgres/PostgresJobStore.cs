using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Atlas.Infrastructure.Jobs.Postgres;

/// <summary>
/// <see cref="IJobStore"/> in PostgreSQL, shared by API replicas and workers. Three tables in one schema: jobs,
/// their images and their results, the results keyed by <c>(job_id, idx)</c> so an image has at most one. A result
/// is inserted (<c>ON CONFLICT DO NOTHING</c>) and the job's counts and state updated in one transaction, and only
/// when the insert added the row and the job is still queued or running: a re-delivered task, two workers racing on
/// one image or a cancel in between can neither duplicate a row nor miscount. The schema is created on start (and
/// on first use), idempotently and under an advisory lock, so replicas starting together do not race.
/// </summary>
public sealed partial class PostgresJobStore : IJobStore, IHostedService, IAsyncDisposable
{
    private const int ImageCopyBatchThreshold = 64;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresJobStore> _logger;
    private readonly string _schema;
    private readonly Sql _sql;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresJobStore(IOptions<PostgresJobStoreOptions> options, ILogger<PostgresJobStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        if (string.IsNullOrWhiteSpace(value.ConnectionString))
        {
            throw new ArgumentException("The PostgreSQL job store needs a connection string (JOBS_POSTGRES).", nameof(options));
        }
        if (!SchemaName().IsMatch(value.Schema))
        {
            throw new ArgumentException($"'{value.Schema}' is not a lower-case SQL identifier.", nameof(options));
        }
        _schema = value.Schema;
        _sql = new Sql(_schema);
        _logger = logger;
        var builder = new NpgsqlDataSourceBuilder(value.ConnectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "atlas-jobs";
        _dataSource = builder.Build();
    }

    public Task StartAsync(CancellationToken cancellationToken) => EnsureSchemaAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates the schema, tables and indexes when missing (safe to call from many processes at once).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }
        await _schemaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // CREATE ... IF NOT EXISTS is not safe against a concurrent CREATE: serialize on a lock keyed by
                    // the schema name.
                    await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(@name))", connection, transaction))
                    {
                        lockCommand.Parameters.AddWithValue("name", "atlas-job-store:" + _schema);
                        await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    await using (var create = new NpgsqlCommand(_sql.CreateSchema, connection, transaction))
                    {
                        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            _schemaReady = true;
            LogSchemaReady(_logger, _schema, _dataSource.ConnectionString.Length == 0 ? "?" : HostOf(_dataSource));
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    public async Task<(JobRecord Job, bool Created)> CreateAsync(NewJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var (record, created) = await TryCreateAsync(job, cancellationToken).ConfigureAwait(false);
            if (record is not null)
            {
                return (record, created);
            }
            if (attempt == 3)
            {
                throw new InvalidOperationException($"Job with idempotency key conflicts but cannot be read (deleted meanwhile?): {job.Id}");
            }
            // The job holding the key was deleted between the insert and the read: the key is free again.
        }
    }

    private async Task<(JobRecord? Job, bool Created)> TryCreateAsync(NewJob job, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                bool inserted;
                await using (var insert = new NpgsqlCommand(_sql.InsertJob, connection, transaction))
                {
                    insert.Parameters.AddWithValue("id", job.Id);
                    insert.Parameters.Add(new NpgsqlParameter<string?>("key", NpgsqlDbType.Text) { TypedValue = job.IdempotencyKey });
                    insert.Parameters.AddWithValue("options", job.OptionsJson);
                    insert.Parameters.AddWithValue("total", job.Images.Count);
                    insert.Parameters.Add(new NpgsqlParameter<string?>("webhook", NpgsqlDbType.Text) { TypedValue = job.WebhookUrl });
                    insert.Parameters.AddWithValue("created", job.CreatedAt.ToUniversalTime());
                    insert.Parameters.AddWithValue("expires", job.ExpiresAt.ToUniversalTime());
                    inserted = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
                }
                if (!inserted)
                {
                    // The idempotency key names a job already stored (possibly committed a moment ago by a
                    // concurrent create: the insert above waited for it).
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    var existing = await QueryJobsAsync(connection, _sql.SelectJobByKey, p => p.AddWithValue("key", job.IdempotencyKey!), cancellationToken)
                        .ConfigureAwait(false);
                    return (existing.Count == 0 ? null : existing[0], false);
                }
                await InsertImagesAsync(connection, transaction, job, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        var record = new JobRecord(job.Id, job.IdempotencyKey, JobState.Queued, job.OptionsJson, job.Images.Count, 0, 0, job.WebhookUrl,
            null, Truncate(job.CreatedAt), null, null, Truncate(job.ExpiresAt));
        return (record, true);
    }

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var jobs = await QueryJobsAsync(connection, _sql.SelectJob, p => p.AddWithValue("id", jobId), cancellationToken).ConfigureAwait(false);
            return jobs.Count == 0 ? null : jobs[0];
        }
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, string? before, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 0);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        if (limit == 0)
        {
            return [];
        }
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return before is null
                ? await QueryJobsAsync(connection, _sql.ListJobs, p => p.AddWithValue("limit", limit), cancellationToken).ConfigureAwait(false)
                : await QueryJobsAsync(connection, _sql.ListJobsBefore, p =>
                {
                    p.AddWithValue("limit", limit);
                    p.AddWithValue("before", before);
                }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<JobImage>> PendingImagesAsync(string jobId, int firstIndex, int count, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var images = new List<JobImage>(Math.Clamp(count, 0, 1024));
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(_sql.PendingImages, connection))
        {
            command.Parameters.AddWithValue("id", jobId);
            command.Parameters.AddWithValue("first", firstIndex);
            command.Parameters.AddWithValue("end", (long)firstIndex + count);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    images.Add(new JobImage(
                        reader.GetInt32(0),
                        reader.GetString(1),
                        reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.IsDBNull(4) ? null : reader.GetString(4)));
                }
            }
        }
        return images;
    }

    public async Task<bool> RecordResultAsync(string jobId, JobResultRow result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // One statement: insert the row unless (job, idx) has one, then count it on the job if the job is
                // still active. When the insert added nothing (duplicate) the update matches nothing; when the job
                // is finished or cancelled (re-checked after waiting for a concurrent cancel's row lock) the update
                // matches nothing either, and the rollback below takes the inserted row back out.
                await using var command = new NpgsqlCommand(_sql.RecordResult, connection, transaction);
                command.Parameters.AddWithValue("id", jobId);
                command.Parameters.AddWithValue("idx", result.Index);
                command.Parameters.AddWithValue("failed", result.Failed);
                command.Parameters.AddWithValue("json", result.ResultJson);
                command.Parameters.AddWithValue("now", now.ToUniversalTime());
                var updated = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                if (updated is null)
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    return false;
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                if ((string)updated == "completed")
                {
                    LogJobCompleted(_logger, jobId);
                }
                return true;
            }
        }
    }

    public async IAsyncEnumerable<JobResultRow> ReadResultsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(_sql.ReadResults, connection))
        {
            command.Parameters.AddWithValue("id", jobId);
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var index = reader.GetInt32(0);
                    var failed = reader.GetBoolean(1);
                    var json = reader.GetString(2);
                    yield return new JobResultRow(index, failed, json);
                }
            }
        }
    }

    public async Task<bool> CancelAsync(string jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(_sql.CancelJob, p =>
        {
            p.AddWithValue("id", jobId);
            p.AddWithValue("now", now.ToUniversalTime());
        }, cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task FailAsync(string jobId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(_sql.FailJob, p =>
        {
            p.AddWithValue("id", jobId);
            p.AddWithValue("reason", reason);
            p.AddWithValue("now", now.ToUniversalTime());
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JobRecord>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await QueryJobsAsync(connection, _sql.UnfinishedJobs, _ => { }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<JobRecord>> ExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await QueryJobsAsync(connection, _sql.ExpiredJobs, p => p.AddWithValue("now", now.ToUniversalTime()), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    public async Task DeleteAsync(string jobId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        // Images and results go with the job (ON DELETE CASCADE), in one transaction.
        await ExecuteAsync(_sql.DeleteJob, p => p.AddWithValue("id", jobId), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaLock.Dispose();
    }

    private async Task InsertImagesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NewJob job, CancellationToken cancellationToken)
    {
        if (job.Images.Count < ImageCopyBatchThreshold)
        {
            foreach (var image in job.Images)
            {
                await using var command = new NpgsqlCommand(_sql.InsertImage, connection, transaction);
                command.Parameters.AddWithValue("id", job.Id);
                command.Parameters.AddWithValue("idx", image.Index);
                command.Parameters.AddWithValue("path", image.FilePath);
                command.Parameters.AddWithValue("source", image.Source);
                command.Parameters.Add(new NpgsqlParameter<string?>("rejection", NpgsqlDbType.Text) { TypedValue = image.Rejection });
                command.Parameters.Add(new NpgsqlParameter<string?>("location", NpgsqlDbType.Text) { TypedValue = image.LocationJson });
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        // A season is 10^5-10^7 images: binary COPY, streamed, in the job's transaction.
        var importer = await connection.BeginBinaryImportAsync(_sql.CopyImages, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var image in job.Images)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.Id, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(image.Index, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(image.FilePath, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(image.Source, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(importer, image.Rejection, cancellationToken).ConfigureAwait(false);
                await WriteNullableAsync(importer, image.LocationJson, cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private async Task<int> ExecuteAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            parameters(command.Parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<List<JobRecord>> QueryJobsAsync(
        NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        var jobs = new List<JobRecord>();
        await using var command = new NpgsqlCommand(sql, connection);
        parameters(command.Parameters);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                jobs.Add(new JobRecord(
                    Id: reader.GetString(0),
                    IdempotencyKey: reader.IsDBNull(1) ? null : reader.GetString(1),
                    State: ParseState(reader.GetString(2)),
                    OptionsJson: reader.GetString(3),
                    Total: reader.GetInt32(4),
                    Done: reader.GetInt32(5),
                    Failed: reader.GetInt32(6),
                    WebhookUrl: reader.IsDBNull(7) ? null : reader.GetString(7),
                    Error: reader.IsDBNull(8) ? null : reader.GetString(8),
                    CreatedAt: reader.GetFieldValue<DateTimeOffset>(9),
                    StartedAt: reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                    FinishedAt: reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                    ExpiresAt: reader.GetFieldValue<DateTimeOffset>(12)));
            }
        }
        return jobs;
    }

    private static JobState ParseState(string state) => state switch
    {
        "queued" => JobState.Queued,
        "running" => JobState.Running,
        "completed" => JobState.Completed,
        "failed" => JobState.Failed,
        "cancelled" => JobState.Cancelled,
        _ => throw new InvalidDataException($"Unknown job state '{state}' in the job store."),
    };

    /// <summary>PostgreSQL keeps microseconds: what a read returns for a written time.</summary>
    private static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }

    private static string HostOf(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database}");
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Job store: PostgreSQL schema {Schema} ready on {Server}")]
    private static partial void LogSchemaReady(ILogger logger, string schema, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job store: job {JobId} completed")]
    private static partial void LogJobCompleted(ILogger logger, string jobId);

    /// <summary>The statements, with the (validated) schema name in place.</summary>
    private sealed class Sql(string schema)
    {
        private const string JobColumns =
            "id, idempotency_key, state, options_json, total, done, failed, webhook_url, error, created_at, started_at, finished_at, expires_at";

        public string CreateSchema { get; } = $"""
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {schema}.jobs (
                seq bigint GENERATED ALWAYS AS IDENTITY,
                id text PRIMARY KEY,
                idempotency_key text UNIQUE,
                state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
                options_json text NOT NULL,
                total integer NOT NULL CHECK (total >= 0),
                done integer NOT NULL DEFAULT 0,
                failed integer NOT NULL DEFAULT 0,
                webhook_url text,
                error text,
                created_at timestamptz NOT NULL,
                started_at timestamptz,
                finished_at timestamptz,
                expires_at timestamptz NOT NULL
            );
            CREATE INDEX IF NOT EXISTS jobs_newest ON {schema}.jobs (created_at DESC, seq DESC);
            CREATE INDEX IF NOT EXISTS jobs_expires ON {schema}.jobs (expires_at);
            CREATE INDEX IF NOT EXISTS jobs_unfinished ON {schema}.jobs (created_at) WHERE state IN ('queued', 'running');
            CREATE TABLE IF NOT EXISTS {schema}.job_images (
                job_id text NOT NULL REFERENCES {schema}.jobs (id) ON DELETE CASCADE,
                idx integer NOT NULL,
                file_path text NOT NULL,
                source text NOT NULL,
                rejection text,
                location_json text,
                PRIMARY KEY (job_id, idx)
            );
            CREATE TABLE IF NOT EXISTS {schema}.job_results (
                job_id text NOT NULL REFERENCES {schema}.jobs (id) ON DELETE CASCADE,
                idx integer NOT NULL,
                failed boolean NOT NULL,
                result_json text NOT NULL,
                CONSTRAINT job_results_once UNIQUE (job_id, idx)
            );
            """;

        public string InsertJob { get; } = $"""
            INSERT INTO {schema}.jobs (id, idempotency_key, options_json, total, webhook_url, created_at, expires_at)
            VALUES (@id, @key, @options, @total, @webhook, @created, @expires)
            ON CONFLICT (idempotency_key) DO NOTHING
            """;

        public string InsertImage { get; } = $"""
            INSERT INTO {schema}.job_images (job_id, idx, file_path, source, rejection, location_json)
            VALUES (@id, @idx, @path, @source, @rejection, @location)
            """;

        public string CopyImages { get; } =
            $"COPY {schema}.job_images (job_id, idx, file_path, source, rejection, location_json) FROM STDIN (FORMAT BINARY)";

        public string SelectJob { get; } = $"SELECT {JobColumns} FROM {schema}.jobs WHERE id = @id";

        public string SelectJobByKey { get; } = $"SELECT {JobColumns} FROM {schema}.jobs WHERE idempotency_key = @key";

        public string ListJobs { get; } = $"SELECT {JobColumns} FROM {schema}.jobs ORDER BY created_at DESC, seq DESC LIMIT @limit";

        public string ListJobsBefore { get; } = $"""
            SELECT {JobColumns} FROM {schema}.jobs
            WHERE (created_at, seq) < (SELECT b.created_at, b.seq FROM {schema}.jobs b WHERE b.id = @before)
            ORDER BY created_at DESC, seq DESC LIMIT @limit
            """;

        public string PendingImages { get; } = $"""
            SELECT i.idx, i.file_path, i.source, i.rejection, i.location_json FROM {schema}.job_images i
            WHERE i.job_id = @id AND i.idx >= @first AND i.idx < @end
              AND NOT EXISTS (SELECT 1 FROM {schema}.job_results r WHERE r.job_id = i.job_id AND r.idx = i.idx)
            ORDER BY i.idx
            """;

        public string RecordResult { get; } = $"""
            WITH inserted AS (
                INSERT INTO {schema}.job_results (job_id, idx, failed, result_json)
                SELECT @id, @idx, @failed, @json
                WHERE EXISTS (SELECT 1 FROM {schema}.jobs WHERE id = @id AND state IN ('queued', 'running') AND @idx >= 0 AND @idx < total)
                ON CONFLICT ON CONSTRAINT job_results_once DO NOTHING
                RETURNING failed
            )
            UPDATE {schema}.jobs j SET
                done = j.done + 1,
                failed = j.failed + CASE WHEN inserted.failed THEN 1 ELSE 0 END,
                state = CASE WHEN j.done + 1 >= j.total THEN 'completed' ELSE 'running' END,
                started_at = COALESCE(j.started_at, @now),
                finished_at = CASE WHEN j.done + 1 >= j.total THEN @now ELSE j.finished_at END
            FROM inserted
            WHERE j.id = @id AND j.state IN ('queued', 'running')
            RETURNING j.state
            """;

        public string ReadResults { get; } = $"SELECT idx, failed, result_json FROM {schema}.job_results WHERE job_id = @id ORDER BY idx";

        public string CancelJob { get; } = $"""
            UPDATE {schema}.jobs SET state = 'cancelled', finished_at = @now
            WHERE id = @id AND state IN ('queued', 'running')
            """;

        public string FailJob { get; } = $"""
            UPDATE {schema}.jobs SET state = 'failed', error = @reason, finished_at = @now
            WHERE id = @id AND state IN ('queued', 'running')
            """;

        public string UnfinishedJobs { get; } = $"SELECT {JobColumns} FROM {schema}.jobs WHERE state IN ('queued', 'running') ORDER BY created_at, seq";

        public string ExpiredJobs { get; } = $"SELECT {JobColumns} FROM {schema}.jobs WHERE expires_at < @now ORDER BY expires_at, seq";

        public string DeleteJob { get; } = $"DELETE FROM {schema}.jobs WHERE id = @id";
    }
}
