using System.Net;
using Atlas.Application.Jobs;
using Atlas.Domain.Jobs;
using Atlas.Infrastructure.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Jobs;

[TestFixture]
[NonParallelizable]
public sealed class JobWebhookNotifierTests
{
    private static readonly JobRecord Job = new("j1", null, JobState.Completed, "{}", 3, 3, 1, "http://hooks.example/done", null,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(7));

    [SetUp]
    public void FastBackOff() => JobWebhookNotifier.FirstDelay = TimeSpan.FromMilliseconds(5);

    [TearDown]
    public void DefaultBackOff() => JobWebhookNotifier.FirstDelay = TimeSpan.FromSeconds(1);

    private sealed class Handler(params HttpStatusCode[] answers) : HttpMessageHandler
    {
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Bodies.Add(await request.Content!.ReadAsStringAsync(cancellationToken));
            var status = answers[Math.Min(Bodies.Count - 1, answers.Length - 1)];
            if (status == 0) throw new HttpRequestException("connection refused");
            return new HttpResponseMessage(status);
        }
    }

    [Test]
    public async Task FailedCalls_AreRetried_UntilOneSucceeds()
    {
        var handler = new Handler(0, HttpStatusCode.InternalServerError, HttpStatusCode.NoContent);
        using var http = new HttpClient(handler);
        var notifier = new JobWebhookNotifier(http, Options.Create(new JobsOptions { WebhookAttempts = 5 }), NullLogger<JobWebhookNotifier>.Instance);

        await notifier.NotifyAsync(Job, CancellationToken.None);

        Assert.That(handler.Bodies, Has.Count.EqualTo(3));
        Assert.That(handler.Bodies[2], Does.Contain("\"id\":\"j1\"").And.Contain("\"state\":\"completed\"").And.Contain("\"failed\":1"));
    }

    [Test]
    public async Task GivesUp_AfterTheConfiguredAttempts()
    {
        var handler = new Handler(HttpStatusCode.BadGateway);
        using var http = new HttpClient(handler);
        var notifier = new JobWebhookNotifier(http, Options.Create(new JobsOptions { WebhookAttempts = 3 }), NullLogger<JobWebhookNotifier>.Instance);

        await notifier.NotifyAsync(Job, CancellationToken.None);

        Assert.That(handler.Bodies, Has.Count.EqualTo(3));
    }
}
