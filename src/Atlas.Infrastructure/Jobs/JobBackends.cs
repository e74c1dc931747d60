using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Atlas.Infrastructure.Jobs.Postgres;
using Atlas.Infrastructure.Jobs.RabbitMq;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Atlas.Infrastructure.Jobs;

/// <summary>
/// The one switch that chooses the job backends from <see cref="JobsOptions"/>: the store (<c>sqlite</c>, default,
/// or <c>postgres</c>), the broker (<c>inprocess</c>, default, or <c>rabbitmq</c>), the staging folder, the webhook
/// client and the hosted worker and retention services. A backend registered before this call (a test's fake, or a
/// build that adds its own) is kept.
/// </summary>
public static class JobBackends
{
    public static IServiceCollection AddJobBackends(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Only the two backend choices are read here, when the services are chosen; JobsOptions itself is bound and
        // checked like every other options class (a bad number elsewhere in the section is reported at start).
        var settings = new JobsOptions();
        var section = configuration.GetSection(JobsOptions.SectionName);
        settings.Store = section[nameof(JobsOptions.Store)] ?? settings.Store;
        settings.Broker = section[nameof(JobsOptions.Broker)] ?? settings.Broker;

        switch (settings.Store.Trim().ToLowerInvariant())
        {
            case "sqlite":
                services.TryAddSingleton<SqliteJobStore>();
                services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
                break;
            case "postgres":
                AddPostgresStore(services, configuration);
                break;
            default:
                throw new InvalidOperationException($"JOBS_STORE (Jobs:Store) is '{settings.Store}'; expected sqlite or postgres.");
        }

        switch (settings.Broker.Trim().ToLowerInvariant())
        {
            case "inprocess":
                services.TryAddSingleton<InProcessJobBroker>();
                services.TryAddSingleton<IJobBroker>(sp => sp.GetRequiredService<InProcessJobBroker>());
                break;
            case "rabbitmq":
                AddRabbitMqBroker(services, configuration);
                break;
            default:
                throw new InvalidOperationException($"JOBS_BROKER (Jobs:Broker) is '{settings.Broker}'; expected inprocess or rabbitmq.");
        }

        services.TryAddSingleton<IJobStaging, FileJobStaging>();
        services.AddHttpClient<IJobCompletionNotifier, JobWebhookNotifier>(client => client.Timeout = TimeSpan.FromSeconds(30));
        services.AddHostedService<JobWorkerService>();
        services.AddHostedService<JobRetentionService>();
        return services;
    }

    /// <summary>Section of the PostgreSQL store's settings (env <c>JOBS_POSTGRES</c>, <c>JOBS_POSTGRES_SCHEMA</c>).</summary>
    public const string PostgresSection = JobsOptions.SectionName + ":Postgres";

    /// <summary>Section of the RabbitMQ broker's settings (env <c>JOBS_RABBITMQ_URI</c>, <c>JOBS_QUEUE</c>).</summary>
    public const string RabbitMqSection = JobsOptions.SectionName + ":RabbitMq";

    /// <summary>
    /// The shared PostgreSQL store (API replicas and workers); its hosted start creates the schema before the worker
    /// starts (hosted services start in registration order).
    /// </summary>
    private static void AddPostgresStore(IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IJobStore))) return;
        services.AddOptions<PostgresJobStoreOptions>()
            .Bind(configuration.GetSection(PostgresSection))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "JOBS_STORE=postgres needs JOBS_POSTGRES (Jobs:Postgres:ConnectionString), an Npgsql connection string such as Host=postgres;Username=atlas;Password=...;Database=atlas.")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<PostgresJobStore>();
        services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresJobStore>());
    }

    /// <summary>The RabbitMQ broker: a durable queue shared by API replicas (publishers) and worker processes (consumers).</summary>
    private static void AddRabbitMqBroker(IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IJobBroker))) return;
        services.AddOptions<RabbitMqJobBrokerOptions>()
            .Bind(configuration.GetSection(RabbitMqSection))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RabbitMqJobBroker>();
        services.TryAddSingleton<IJobBroker>(sp => sp.GetRequiredService<RabbitMqJobBroker>());
    }
}
