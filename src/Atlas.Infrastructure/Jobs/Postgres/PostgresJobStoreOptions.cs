using System.ComponentModel.DataAnnotations;
using Atlas.Application.Configuration;

namespace Atlas.Infrastructure.Jobs.Postgres;

/// <summary>
/// Where the shared job store lives (environment <c>JOBS_POSTGRES</c>): an Npgsql connection string such as
/// <c>Host=postgres;Port=5432;Username=atlas;Password=…;Database=atlas</c>. The tables are created on start.
/// </summary>
public sealed class PostgresJobStoreOptions
{
    public const string DefaultSchema = "atlas";

    [Required]
    [Secret]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The schema holding the job tables (created when missing).</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "The job store schema must be a lower-case SQL identifier.")]
    public string Schema { get; set; } = DefaultSchema;
}
