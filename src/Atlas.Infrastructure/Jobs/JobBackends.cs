using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var settings = configuration.GetSection(JobsOptions.SectionName).Get<JobsOptions>() ?? new JobsOptions();

        switch (settings.Store.Trim().ToLowerInvariant())
        {
            case "sqlite":
                services.TryAddSingleton<SqliteJobStore>();
                services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
                break;
            case "postgres":
                AddPostgresStore(services);
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
                AddRabbitMqBroker(services);
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

    // Extension points: the broker-backed runner (src/Atlas.Infrastructure/Jobs/RabbitMq, .../Postgres) registers its
    // IJobBroker / IJobStore here. Until it is wired into this build, choosing it stops the start with this message.
    private static void AddPostgresStore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IJobStore))) return;
        throw new InvalidOperationException("JOBS_STORE=postgres (Jobs:Store) is not available in this build; use sqlite (the default).");
    }

    private static void AddRabbitMqBroker(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IJobBroker))) return;
        throw new InvalidOperationException("JOBS_BROKER=rabbitmq (Jobs:Broker) is not available in this build; use inprocess (the default).");
    }
}
