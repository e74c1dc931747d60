using System.Runtime.CompilerServices;
using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// The embedded job store: one SQLite file (<c>{DataDir}/jobs.db</c>, WAL journal, so readers never wait on the
/// writer). <c>job_results</c> has UNIQUE(job_id, idx): a result is inserted with <c>INSERT OR IGNORE</c> in the same
/// transaction that bumps the job's counts, so a re-delivered task can neither duplicate a row nor count an image
/// twice. Writes are serialised in process (SQLite has one writer anyway); times are Unix milliseconds.
/// </summary>
public sealed class SqliteJobStore : IJobStore, IDisposable
{
    private const string Columns = "id, idempotency_key, state, options, total, done, failed, webhook_url, error, created_at, started_at, finished_at, expires_at";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Lazy<Task> _schema;

    public SqliteJobStore(IOptions<JobsOptions> options) : this(Path.Combine(options.Value.DataDirFullPath, "jobs.db")) { }

    public SqliteJobStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _schema = new Lazy<Task>(CreateSchemaAsync);
    }

    public void Dispose()
    {
        _write.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private async Task CreateSchemaAsync()
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await ExecuteAsync(connection, null, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS jobs (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                idempotency_key TEXT UNIQUE,
                state INTEGER NOT NULL,
                options TEXT NOT NULL,
                total INTEGER NOT NULL,
                done INTEGER NOT NULL DEFAULT 0,
                failed INTEGER NOT NULL DEFAULT 0,
                webhook_url TEXT,
                error TEXT,
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                finished_at INTEGER,
                expires_at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
            CREATE INDEX IF NOT EXISTS jobs_expires ON jobs (expires_at);
            CREATE TABLE IF NOT EXISTS job_images (
                job_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                file_path TEXT NOT NULL,
                source TEXT NOT NULL,
                rejection TEXT,
                location TEXT,
                PRIMARY KEY (job_id, idx)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS job_results (
                job_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                failed INTEGER NOT NULL,
                result TEXT NOT NULL,
                UNIQUE (job_id, idx));
            """).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await _schema.Value.ConfigureAwait(false);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;").ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<(JobRecord Job, bool Created)> CreateAsync(NewJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (job.IdempotencyKey is not null)
            {
                var existing = await QueryJobsAsync(connection, transaction, $"SELECT {Columns} FROM jobs WHERE idempotency_key = $key",
                    cancellationToken, ("$key", job.IdempotencyKey)).ConfigureAwait(false);
                if (existing.Count > 0) return (existing[0], false);
            }
            await using (var insert = Command(connection, transaction, """
                INSERT INTO jobs (id, idempotency_key, state, options, total, webhook_url, created_at, expires_at)
                VALUES ($id, $key, 0, $options, $total, $webhook, $created, $expires)
                """,
                ("$id", job.Id), ("$key", job.IdempotencyKey), ("$options", job.OptionsJson), ("$total", job.Images.Count),
                ("$webhook", job.WebhookUrl), ("$created", Ms(job.CreatedAt)), ("$expires", Ms(job.ExpiresAt))))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var image = Command(connection, transaction,
                "INSERT INTO job_images (job_id, idx, file_path, source, rejection, location) VALUES ($job, $idx, $file, $source, $rejection, $location)"))
            {
                var pIdx = image.Parameters.Add("$idx", SqliteType.Integer);
                var pFile = image.Parameters.Add("$file", SqliteType.Text);
                var pSource = image.Parameters.Add("$source", SqliteType.Text);
                var pRejection = image.Parameters.Add("$rejection", SqliteType.Text);
                var pLocation = image.Parameters.Add("$location", SqliteType.Text);
                image.Parameters.AddWithValue("$job", job.Id);
                image.Prepare();
                foreach (var i in job.Images)
                {
                    pIdx.Value = i.Index;
                    pFile.Value = i.FilePath;
                    pSource.Value = i.Source;
                    pRejection.Value = (object?)i.Rejection ?? DBNull.Value;
                    pLocation.Value = (object?)i.LocationJson ?? DBNull.Value;
                    await image.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            var created = await QueryJobsAsync(connection, null, $"SELECT {Columns} FROM jobs WHERE id = $id", cancellationToken, ("$id", job.Id)).ConfigureAwait(false);
            return (created[0], true);
        }
        finally
        {
            _write.Release();
        }
    }

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var jobs = await QueryJobsAsync(connection, null, $"SELECT {Columns} FROM jobs WHERE id = $id", cancellationToken, ("$id", jobId)).ConfigureAwait(false);
        return jobs.Count > 0 ? jobs[0] : null;
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, string? before, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return before is null
            ? await QueryJobsAsync(connection, null, $"SELECT {Columns} FROM jobs ORDER BY seq DESC LIMIT $limit", cancellationToken, ("$limit", limit)).ConfigureAwait(false)
            : await QueryJobsAsync(connection, null,
                $"SELECT {Columns} FROM jobs WHERE seq < (SELECT seq FROM jobs WHERE id = $before) ORDER BY seq DESC LIMIT $limit",
                cancellationToken, ("$limit", limit), ("$before", before)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JobImage>> PendingImagesAsync(string jobId, int firstIndex, int count, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, """
            SELECT i.idx, i.file_path, i.source, i.rejection, i.location FROM job_images i
            WHERE i.job_id = $job AND i.idx >= $first AND i.idx < $end
              AND NOT EXISTS (SELECT 1 FROM job_results r WHERE r.job_id = i.job_id AND r.idx = i.idx)
            ORDER BY i.idx
            """, ("$job", jobId), ("$first", firstIndex), ("$end", (long)firstIndex + count));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var images = new List<JobImage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            images.Add(new JobImage(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return images;
    }

    public async Task<bool> RecordResultAsync(string jobId, JobResultRow result, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var live = await ScalarAsync(connection, transaction,
                "SELECT COUNT(*) FROM jobs WHERE id = $id AND state IN (0, 1) AND EXISTS (SELECT 1 FROM job_images WHERE job_id = $id AND idx = $idx)",
                cancellationToken, ("$id", jobId), ("$idx", result.Index)).ConfigureAwait(false);
            if (live == 0) return false;
            await using (var insert = Command(connection, transaction,
                "INSERT OR IGNORE INTO job_results (job_id, idx, failed, result) VALUES ($id, $idx, $failed, $result)",
                ("$id", jobId), ("$idx", result.Index), ("$failed", result.Failed ? 1 : 0), ("$result", result.ResultJson)))
            {
                if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0) return false;
            }
            await using (var update = Command(connection, transaction, """
                UPDATE jobs SET
                    done = done + 1,
                    failed = failed + $failed,
                    started_at = COALESCE(started_at, $now),
                    state = CASE WHEN done + 1 >= total THEN 2 ELSE 1 END,
                    finished_at = CASE WHEN done + 1 >= total THEN $now ELSE finished_at END
                WHERE id = $id
                """, ("$id", jobId), ("$failed", result.Failed ? 1 : 0), ("$now", Ms(now))))
            {
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _write.Release();
        }
    }

    public async IAsyncEnumerable<JobResultRow> ReadResultsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT idx, failed, result FROM job_results WHERE job_id = $id ORDER BY idx", ("$id", jobId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new JobResultRow(reader.GetInt32(0), reader.GetInt64(1) != 0, reader.GetString(2));
        }
    }

    public Task<bool> CancelAsync(string jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        EndAsync(jobId, 4, null, now, cancellationToken);

    public Task FailAsync(string jobId, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        EndAsync(jobId, 3, reason, now, cancellationToken);

    private async Task<bool> EndAsync(string jobId, int state, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = Command(connection, null,
                "UPDATE jobs SET state = $state, error = COALESCE($error, error), finished_at = $now WHERE id = $id AND state IN (0, 1)",
                ("$id", jobId), ("$state", state), ("$error", reason), ("$now", Ms(now)));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
        finally
        {
            _write.Release();
        }
    }

    public async Task<IReadOnlyList<JobRecord>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryJobsAsync(connection, null, $"SELECT {Columns} FROM jobs WHERE state IN (0, 1) ORDER BY seq", cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JobRecord>> ExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryJobsAsync(connection, null, $"SELECT {Columns} FROM jobs WHERE expires_at < $now ORDER BY seq", cancellationToken, ("$now", Ms(now))).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string jobId, CancellationToken cancellationToken)
    {
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, "DELETE FROM job_results WHERE job_id = $id; DELETE FROM job_images WHERE job_id = $id; DELETE FROM jobs WHERE id = $id;",
                ("$id", jobId)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // The SQL is constant text; every value is a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<JobRecord>> QueryJobsAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var jobs = new List<JobRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(new JobRecord(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                (JobState)reader.GetInt32(2),
                reader.GetString(3),
                reader.GetInt32(4),
                reader.GetInt32(5),
                reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                Time(reader.GetInt64(9)),
                reader.IsDBNull(10) ? null : Time(reader.GetInt64(10)),
                reader.IsDBNull(11) ? null : Time(reader.GetInt64(11)),
                Time(reader.GetInt64(12))));
        }
        return jobs;
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
