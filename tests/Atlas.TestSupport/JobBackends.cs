using Npgsql;
using RabbitMQ.Client;

namespace Atlas.TestSupport;

/// <summary>
/// The real servers the scale-out job tests run against, named by the variables that
/// <c>tools/ci/start-job-backends.sh</c> prints (and <c>.ci/run</c> exports). Without them the tests are ignored.
/// Also the clean-up every such test ends with: its own PostgreSQL schemas and RabbitMQ queue removed.
/// </summary>
public static class JobBackends
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

    /// <summary>Drops the given schemas (and everything in them) if they exist.</summary>
    public static async Task DropSchemasAsync(string connectionString, params IEnumerable<string> schemas)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var schema in schemas)
        {
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Deletes the queue, whatever it still holds, over a connection of its own.</summary>
    public static async Task DeleteQueueAsync(Uri rabbitMq, string queue)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
    }

    private static T Ignore<T>(string message)
    {
        Assert.Ignore(message);
        throw new InvalidOperationException(message);
    }
}
