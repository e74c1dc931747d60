using System.ComponentModel.DataAnnotations;
using Atlas.Application.Configuration;

namespace Atlas.Infrastructure.Jobs.RabbitMq;

/// <summary>
/// Where the RabbitMQ job broker lives (environment <c>JOBS_RABBITMQ_URI</c> and <c>JOBS_QUEUE</c>). The queue is
/// declared durable on first use, so a fresh virtual host needs no setup.
/// </summary>
public sealed class RabbitMqJobBrokerOptions
{
    public const string DefaultQueue = "atlas-jobs";

    /// <summary>AMQP URI, e.g. <c>amqp://user:password@rabbitmq:5672/vhost</c> (<c>amqps://</c> for TLS). Never logged with its password.</summary>
    [Required]
    [Secret]
    public Uri Uri { get; set; } = new("amqp://guest:guest@localhost:5672/");

    /// <summary>The durable queue of <see cref="Domain.Jobs.JobTask"/>s, shared by API replicas and workers.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._:-]{1,255}$", ErrorMessage = "The job queue name must be 1-255 letters, digits or . _ : -")]
    public string Queue { get; set; } = DefaultQueue;

    /// <summary>How long to wait between reconnection attempts after the broker was lost.</summary>
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Name shown for the connection in the RabbitMQ management UI.</summary>
    public string ClientName { get; set; } = "atlas";
}
