using Atlas.Application.Gemini;
using Atlas.Application.Gemini.AnalyzeWithGemini;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Errors;
using Atlas.Domain.Gemini;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Atlas.Application.Tests.Gemini;

[TestFixture]
public sealed class AnalyzeWithGeminiHandlerTests
{
    private Mock<IGeminiGateway> _gateway = null!;

    [SetUp]
    public void CreateGateway()
    {
        _gateway = new Mock<IGeminiGateway>(MockBehavior.Strict);
        _gateway.SetupGet(g => g.IsConfigured).Returns(true);
        _gateway.SetupGet(g => g.Model).Returns("gemini-test");
    }

    private AnalyzeWithGeminiHandler Handler() =>
        new(_gateway.Object, Options.Create(new GeminiAnalysisOptions { MaxConcurrency = 2 }), NullLogger<AnalyzeWithGeminiHandler>.Instance);

    /// <summary>Answers each call by the first byte after the JPEG magic, so tests script answers per image.</summary>
    private void AnswerBy(Func<int, GeminiAnswer> answer) =>
        _gateway.Setup(g => g.GenerateAsync(It.IsAny<GeminiRequest>(), It.IsAny<CancellationToken>()))
            .Returns((GeminiRequest r, CancellationToken _) => Task.FromResult(answer(r.Images[0].Content.Span[4])));

    private static Atlas.Application.Images.ImageUpload Image(byte tag)
    {
        var image = GeminiTestData.Jpeg(tag);
        var bytes = image.Content.ToArray();
        bytes[4] = tag;
        return image with { Content = bytes };
    }

    private static GeminiAnswer Answer(string label, int tokens = 10) =>
        new($$"""{"category_label":"{{label}}","description":"d","confidence":0.8}""", "STOP", new GeminiUsage(tokens, 5, null, tokens + 5), "gemini-test-001");

    [Test]
    public async Task Handle_ThreeImages_OneCallEachWithPromptImageAndDefaultSchema()
    {
        var requests = new List<GeminiRequest>();
        _gateway.Setup(g => g.GenerateAsync(It.IsAny<GeminiRequest>(), It.IsAny<CancellationToken>()))
            .Callback((GeminiRequest r, CancellationToken _) => { lock (requests) requests.Add(r); })
            .ReturnsAsync(Answer("fox"));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What animal?", [Image(0), Image(1), Image(2)], null), CancellationToken.None);

        Assert.That(requests, Has.Count.EqualTo(3));
        Assert.That(requests.Select(r => r.Prompt), Is.All.EqualTo("What animal?"));
        Assert.That(requests.Select(r => r.Images.Count), Is.All.EqualTo(1));
        Assert.That(requests.Select(r => r.Images[0].MediaType), Is.All.EqualTo("image/jpeg"));
        Assert.That(requests[0].ResponseSchema.GetProperty("properties").TryGetProperty("category_label", out _), Is.True);
        Assert.That(result.DefaultSchema, Is.True);
        Assert.That(result.Model, Is.EqualTo("gemini-test"));
    }

    [Test]
    public async Task Handle_MixedLabels_GroupsAndSumsUsage()
    {
        AnswerBy(tag => Answer(tag == 1 ? "deer" : "fox", tokens: 10 * (tag + 1)));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1), Image(2)], null), CancellationToken.None);

        Assert.That(result.Groups.Select(g => (g.Label, g.Count)), Is.EqualTo(new[] { ((string?)"fox", 2), ("deer", 1) }));
        Assert.That(result.Groups[0].Images.Select(i => i.Index), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(result.Usage, Is.EqualTo(new GeminiUsage(60, 15, null, 75)));
        Assert.That(result.Images.Select(i => i.FinishReason), Is.All.EqualTo("STOP"));
    }

    [Test]
    public async Task Handle_OneImageFails_OthersAnsweredAndFailureReportedOnItsImage()
    {
        AnswerBy(tag => tag == 1 ? throw new UpstreamException("Gemini answered 500 INTERNAL.") : Answer("fox"));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1), Image(2)], null), CancellationToken.None);

        Assert.That(result.Succeeded, Is.EqualTo(2));
        Assert.That(result.Failed, Is.EqualTo(1));
        Assert.That(result.Images[1].Error, Is.TypeOf<UpstreamException>());
        Assert.That(result.Images[1].Response, Is.Null);
        Assert.That(result.Groups.Single().Images.Select(i => i.Index), Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void Handle_EveryImageFails_ThrowsFirstImagesError()
    {
        AnswerBy(tag => throw (tag == 0 ? new UpstreamTimeoutException("slow") : new UpstreamException("bad")));

        Assert.ThrowsAsync<UpstreamTimeoutException>(async () =>
            await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1)], null), CancellationToken.None));
    }

    [Test]
    public async Task Handle_AnswerNotJson_ReportedAsBadGatewayOnThatImage()
    {
        AnswerBy(tag => tag == 0 ? new GeminiAnswer("Sure! Here is a fox.", "STOP", null, null) : Answer("fox"));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1)], null), CancellationToken.None);

        Assert.That(result.Images[0].Error, Is.TypeOf<UpstreamException>());
        Assert.That(result.Images[0].Error!.Message, Does.Contain("not JSON").And.Contain("Sure! Here is a fox."));
        Assert.That(result.Images[0].FinishReason, Is.EqualTo("STOP"));
    }

    [Test]
    public async Task Handle_AnswerCutAtTokenLimit_SaysSoInsteadOfNotJson()
    {
        AnswerBy(tag => tag == 0 ? new GeminiAnswer("""{"category_label":"red fo""", "MAX_TOKENS", null, null) : Answer("fox"));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1)], null), CancellationToken.None);

        Assert.That(result.Images[0].Error, Is.TypeOf<UpstreamException>());
        Assert.That(result.Images[0].Error!.Message, Does.Contain("MAX_TOKENS").And.Contain("token limit"));
        Assert.That(result.Images[1].Error, Is.Null);
    }

    [Test]
    public async Task Handle_AnswerBreaksSchema_ReportedAsBadGatewayOnThatImage()
    {
        AnswerBy(tag => tag == 0 ? new GeminiAnswer("""{"description":"no label"}""", "STOP", null, null) : Answer("fox"));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0), Image(1)], null), CancellationToken.None);

        Assert.That(result.Images[0].Error, Is.TypeOf<UpstreamException>());
        Assert.That(result.Images[0].Error!.Message, Does.Contain("does not follow the schema").And.Contain("category_label"));
    }

    [Test]
    public async Task Handle_CustomSchemaWithoutLabel_OneGroupPerImage()
    {
        const string schema = """{"type":"object","properties":{"recipe_name":{"type":"string"}},"required":["recipe_name"]}""";
        _gateway.Setup(g => g.GenerateAsync(It.IsAny<GeminiRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new GeminiAnswer("""{"recipe_name":"soup"}""", "STOP", null, null));

        var result = await Handler().Handle(new AnalyzeWithGeminiCommand("Extract", [Image(0), Image(1)], schema), CancellationToken.None);

        Assert.That(result.DefaultSchema, Is.False);
        Assert.That(result.Groups, Has.Count.EqualTo(2));
        Assert.That(result.Groups.Select(g => g.Label), Is.All.Null);
        Assert.That(result.Usage, Is.Null);
        _gateway.Verify(g => g.GenerateAsync(It.Is<GeminiRequest>(r => r.ResponseSchema.GetProperty("required")[0].GetString() == "recipe_name"), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Test]
    public void Handle_NotConfigured_ServiceUnavailableWithoutCalling()
    {
        _gateway.SetupGet(g => g.IsConfigured).Returns(false);

        var ex = Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
            await Handler().Handle(new AnalyzeWithGeminiCommand("What?", [Image(0)], null), CancellationToken.None));

        Assert.That(ex!.Message, Does.Contain("GOOGLE_API_KEY"));
        _gateway.Verify(g => g.GenerateAsync(It.IsAny<GeminiRequest>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
