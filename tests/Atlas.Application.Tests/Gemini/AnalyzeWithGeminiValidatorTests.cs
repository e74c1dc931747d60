using Atlas.Application.Common;
using Atlas.Application.Gemini;
using Atlas.Application.Gemini.AnalyzeWithGemini;
using Atlas.Application.Images;
using FluentValidation.Results;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Tests.Gemini;

[TestFixture]
public sealed class AnalyzeWithGeminiValidatorTests
{
    private static AnalyzeWithGeminiValidator Validator(GeminiAnalysisOptions? options = null) =>
        new(new ImageUploadValidator(Options.Create(new UploadOptions())), Options.Create(options ?? new GeminiAnalysisOptions()));

    private static async Task<List<ValidationFailure>> Errors(AnalyzeWithGeminiCommand command, GeminiAnalysisOptions? options = null) =>
        (await Validator(options).ValidateAsync(command)).Errors;

    [Test]
    public async Task Validate_PromptAndJpegs_Passes()
    {
        var errors = await Errors(new("What animal?", [GeminiTestData.Jpeg(0), GeminiTestData.Png(1)], null));
        Assert.That(errors, Is.Empty);
    }

    [TestCase(null)]
    [TestCase("")]
    public async Task Validate_NoPrompt_FailsOnPrompt(string? prompt)
    {
        var errors = await Errors(new(prompt, [GeminiTestData.Jpeg(0)], null));
        Assert.That(errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "prompt" }));
    }

    [Test]
    public async Task Validate_NoFiles_FailsOnFiles()
    {
        var errors = await Errors(new("What animal?", [], null));
        Assert.That(errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "files" }));
        Assert.That(errors[0].ErrorMessage, Does.Contain("files is required"));
    }

    [Test]
    public async Task Validate_TooManyFiles_FailsOnFiles()
    {
        var errors = await Errors(new("What?", [GeminiTestData.Jpeg(0), GeminiTestData.Jpeg(1), GeminiTestData.Jpeg(2)], null), new GeminiAnalysisOptions { MaxImages = 2 });
        Assert.That(errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "files" }));
        Assert.That(errors[0].ErrorMessage, Does.Contain("at most 2"));
    }

    [Test]
    public async Task Validate_NonImageSecondFile_UnsupportedMediaTypeKeyedByIndex()
    {
        var errors = await Errors(new("What?", [GeminiTestData.Jpeg(0), GeminiTestData.Text(1)], null));
        Assert.That(errors.Select(e => (e.PropertyName, e.ErrorCode)), Is.EqualTo(new[] { ("files[1]", ErrorCodes.UnsupportedMediaType) }));
    }

    [Test]
    public async Task Validate_GifImage_UnsupportedByGemini()
    {
        var errors = await Errors(new("What?", [GeminiTestData.Gif(0)], null));
        Assert.That(errors.Select(e => (e.PropertyName, e.ErrorCode)), Is.EqualTo(new[] { ("files[0]", ErrorCodes.UnsupportedMediaType) }));
        Assert.That(errors[0].ErrorMessage, Does.Contain("JPEG, PNG and WebP"));
    }

    [Test]
    public async Task Validate_SchemaNotJson_FailsOnSchemaJson()
    {
        var errors = await Errors(new("What?", [GeminiTestData.Jpeg(0)], "{oops"));
        Assert.That(errors.Select(e => e.PropertyName), Is.EqualTo(new[] { "schema_json" }));
        Assert.That(errors[0].ErrorMessage, Does.Contain("not valid JSON"));
    }

    [Test]
    public async Task Validate_ImageOverGeminiBudget_PayloadTooLargeKeyedByIndex()
    {
        // 30,000 bytes become 40,000 base64 characters: over a 32 KiB budget although the upload itself is small.
        var errors = await Errors(new("What?", [GeminiTestData.Jpeg(0, 1000), GeminiTestData.Jpeg(1, 30_000)], null), new GeminiAnalysisOptions { MaxRequestBytes = 32 * 1024 });
        Assert.That(errors.Select(e => (e.PropertyName, e.ErrorCode)), Is.EqualTo(new[] { ("files[1]", ErrorCodes.PayloadTooLarge) }));
        Assert.That(errors[0].ErrorMessage, Does.Contain("32,768"));
    }

    [TestCase(0, 0)]
    [TestCase(1, 4)]
    [TestCase(3, 4)]
    [TestCase(4, 8)]
    public void Base64Length_MatchesConvert(int bytes, long expected)
    {
        Assert.That(AnalyzeWithGeminiValidator.Base64Length(bytes), Is.EqualTo(expected));
        Assert.That(Convert.ToBase64String(new byte[bytes]), Has.Length.EqualTo(expected));
    }
}
