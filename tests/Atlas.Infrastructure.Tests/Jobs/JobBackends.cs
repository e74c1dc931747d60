namespace Atlas.Infrastructure.Tests.Jobs;

/// <summary>
/// The real servers the scale-out job tests run against, named by the variables that
/// <c>tools/ci/start-job-backends.sh</c> prints (and <c>.ci/run</c> exports). Without them the tests are ignored.
/// </summary>
internal static class JobBackends
{
    private const string HowTo =
        "start them with tools/ci/start-job-backends.sh and export the ATLAS_TEST_* lines it prints (.ci/run does both)";

    public static string PostgresOrIgnore() =>
        Environment.GetEnvironmentVariable("ATLAS_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : Ignore<string>($"ATLAS_TEST_POSTGRES is not set: the PostgreSQL job store tests need a PostgreSQL server; {HowTo}.");

    public static Uri RabbitMqOrIgnore() =>
        Environment.GetEnvironmentVariable("ATLAS_TEST_RABBITMQ") is { Length: > 0 } value
            ? new Uri(value)
            : Ignore<Uri>($"ATLAS_TEST_RABBITMQ is not set: the RabbitMQ job broker tests need a RabbitMQ server; {HowTo}.");

    private static T Ignore<T>(string message)
    {
        Assert.Ignore(message);
        throw new InvalidOperationException(message);
    }
}
