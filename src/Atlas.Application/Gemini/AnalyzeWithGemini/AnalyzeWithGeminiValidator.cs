using Atlas.Domain.Images;
using System.Text;
using Atlas.Application.Common;
using Atlas.Application.Images;
using Atlas.Application.Predictions.ClassifyImage;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Gemini.AnalyzeWithGemini;

/// <summary>
/// Input rules of <c>/gemini/analyze/</c>, all checked before Gemini is called:
/// <c>prompt</c> required (400); at least one and at most <see cref="GeminiAnalysisOptions.MaxImages"/> files (400);
/// each file passes the same intake checks as <c>/uploadfile/</c> (400/413/415, keyed <c>files[i]</c>) and is a
/// format Gemini reads (JPEG, PNG or WebP; else 415); <c>schema_json</c>, when sent, is a JSON object schema (400);
/// and each Gemini request (base64 image + prompt + schema) fits <see cref="GeminiAnalysisOptions.MaxRequestBytes"/> (413).
/// </summary>
public sealed class AnalyzeWithGeminiValidator : AbstractValidator<AnalyzeWithGeminiCommand>
{
    /// <summary>Room for the JSON envelope of a request around its image, prompt and schema.</summary>
    public const int RequestEnvelopeBytes = 2048;

    private static readonly ImageFormat[] GeminiFormats = [ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.WebP];

    public AnalyzeWithGeminiValidator(IValidator<ImageUpload> uploadValidator, IOptions<GeminiAnalysisOptions> options)
    {
        var limits = options.Value;
        RuleFor(c => c.Prompt)
            .NotEmpty().WithMessage("prompt is required: say what Gemini should look for in the images.")
            .MaximumLength(ClassifyImageValidator.MaxPromptLength).WithMessage($"prompt must be at most {ClassifyImageValidator.MaxPromptLength:N0} characters.")
            .OverridePropertyName("prompt");

        RuleFor(c => c.Images)
            .NotEmpty().WithMessage("files is required: send one or more images as multipart form fields named 'files'.")
            .Must(images => images.Count <= limits.MaxImages).WithMessage($"files: send at most {limits.MaxImages} images per request.")
            .OverridePropertyName("files");

        RuleFor(c => c.SchemaJson)
            .CustomAsync(async (json, context, cancellationToken) =>
            {
                if (json is null) return;
                try
                {
                    await ResponseSchema.ParseAsync(json, cancellationToken).ConfigureAwait(false);
                }
                catch (ResponseSchemaException ex)
                {
                    context.AddFailure(new ValidationFailure("schema_json", ex.Message));
                }
            });

        RuleFor(c => c).CustomAsync(async (command, context, cancellationToken) =>
        {
            var fixedBytes = RequestEnvelopeBytes + Encoding.UTF8.GetByteCount(command.Prompt ?? string.Empty)
                + Encoding.UTF8.GetByteCount(command.SchemaJson ?? ResponseSchema.DefaultJson);
            foreach (var image in command.Images)
            {
                var intake = await uploadValidator.ValidateAsync(image, cancellationToken).ConfigureAwait(false);
                if (!intake.IsValid)
                {
                    intake.Errors.ForEach(context.AddFailure);
                    continue;
                }

                if (!GeminiFormats.Contains(image.DetectedFormat))
                {
                    context.AddFailure(new ValidationFailure(image.FieldName,
                        $"Gemini reads JPEG, PNG and WebP images; '{image.FileName}' is {image.DetectedFormat.ToString().ToUpperInvariant()}. Convert it to one of those formats.")
                    {
                        ErrorCode = ErrorCodes.UnsupportedMediaType,
                    });
                    continue;
                }

                var requestBytes = fixedBytes + Base64Length(image.Length);
                if (requestBytes > limits.MaxRequestBytes)
                {
                    context.AddFailure(new ValidationFailure(image.FieldName,
                        $"'{image.FileName}' would make a Gemini request of about {requestBytes:N0} bytes (images travel base64-encoded, a third larger); Gemini accepts at most {limits.MaxRequestBytes:N0} bytes per request. Send a smaller image.")
                    {
                        ErrorCode = ErrorCodes.PayloadTooLarge,
                    });
                }
            }
        });
    }

    /// <summary>Length of the base64 text of <paramref name="bytes"/> bytes.</summary>
    public static long Base64Length(long bytes) => (bytes + 2) / 3 * 4;
}
