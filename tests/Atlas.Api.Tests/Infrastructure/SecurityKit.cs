using System.Collections.Concurrent;
using Atlas.Domain.SpeciesNet;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using Serilog.Core;
using Serilog.Events;
using SkiaSharp;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>Shared pieces of the security and observability tests.</summary>
public static class SecurityKit
{
    public static readonly byte[] Jpeg = TestImages.Solid(32, 24, SKColors.Olive);

    /// <summary>A key long enough to be accepted.</summary>
    public const string GoodKey = "atlas-test-key-0123456789abcdef";

    public const string OtherKey = "atlas-other-key-0123456789abcdef";

    public static SpeciesNetPrediction Prediction(GeoLocation location) => new(
        [], location, new Classifications(["blank"], [0.9]), [], "blank", 0.9, "classifier", "test-model");

    /// <summary>Makes the mocked engine answer every image at once.</summary>
    public static AtlasApiFactory AnswerAll(this AtlasApiFactory factory)
    {
        factory.Classifier
            .Setup(c => c.PredictAsync(It.IsAny<ReadOnlyMemory<byte>>(), It.IsAny<GeoLocation>(), It.IsAny<CancellationToken>()))
            .Returns((ReadOnlyMemory<byte> _, GeoLocation location, CancellationToken _) => ValueTask.FromResult(Prediction(location)));
        return factory;
    }

    public static async Task<HttpResponseMessage> UploadAsync(this HttpClient client, string? apiKey = null, string path = "/uploadfile/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Multipart.File(Jpeg) };
        if (apiKey is not null) request.Headers.Add("X-API-Key", apiKey);
        return await client.SendAsync(request);
    }

    /// <summary>Adds the test assembly's controllers (the Gemini stand-in) to the app.</summary>
    public static void AddTestControllers(IServiceCollection services) =>
        services.AddControllers().AddApplicationPart(typeof(SecurityKit).Assembly);
}

/// <summary>
/// Stands in for the Gemini controller (written elsewhere): any route under <c>/gemini</c> must get the API key
/// check, the stricter rate limit and the Gemini timeout from the route policies, without opting in.
/// </summary>
[ApiController]
public sealed class GeminiStandInController : ControllerBase
{
    [HttpPost("gemini/test-probe")]
    public IActionResult Probe() => Ok(new { ok = true });

    /// <summary>Reads the whole body: a route without its own body limit, so the global one applies.</summary>
    [HttpPost("test/echo-body")]
    public async Task<IActionResult> EchoBody()
    {
        using var buffer = new MemoryStream();
        await Request.Body.CopyToAsync(buffer, HttpContext.RequestAborted);
        return Ok(new { length = buffer.Length });
    }
}

/// <summary>Collects every Serilog event the host writes (registered as a DI sink, read by ReadFrom.Services).</summary>
public sealed class CapturingSink : ILogEventSink
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
}
