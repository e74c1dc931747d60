using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Predictions.ClassifyImage;

/// <summary>
/// Run SpeciesNet on one uploaded image: <c>POST /uploadfile/</c>, and <c>POST /analyze/</c> with
/// <paramref name="EchoPrompt"/> set, where the caller's <paramref name="Prompt"/> is required and echoed so downstream
/// workflows can tie it to the result (the analysis is the same).
/// </summary>
public sealed record ClassifyImageCommand(ImageUpload? Image, GeoLocation Location, bool EchoPrompt = false, string? Prompt = null)
    : ICommand<ClassifyImageResult>, IInferenceRequest, ISingleImageRequest;

/// <summary>The upload's identity plus the SpeciesNet ensemble's answer, and the echoed prompt of <c>/analyze/</c>.</summary>
public sealed record ClassifyImageResult(string FileName, long ContentSize, SpeciesNetPrediction SpeciesNet, string? Prompt = null);

public sealed class ClassifyImageValidator : SingleImageValidator<ClassifyImageCommand>
{
    /// <summary>Longest accepted prompt, in characters (also the Gemini route's limit).</summary>
    public const int MaxPromptLength = 10_000;

    public ClassifyImageValidator(IValidator<ImageUpload> uploadValidator, IValidator<GeoLocation> locationValidator)
        : base(uploadValidator, locationValidator)
    {
        When(c => c.EchoPrompt, () => RuleFor(c => c.Prompt)
            .NotEmpty().WithMessage("prompt is required: describe the question or instructions for this image.")
            .MaximumLength(MaxPromptLength).WithMessage($"prompt must be at most {MaxPromptLength:N0} characters.")
            .OverridePropertyName("prompt"));
    }
}

/// <summary>
/// Normalises the location (upper-case codes; admin1 derived from lat/lon for the USA as SpeciesNet does) and runs
/// the engine.
/// </summary>
public sealed class ClassifyImageHandler(ISpeciesClassifier classifier, LocationResolver locationResolver) : ICommandHandler<ClassifyImageCommand, ClassifyImageResult>
{
    public async ValueTask<ClassifyImageResult> Handle(ClassifyImageCommand command, CancellationToken cancellationToken)
    {
        var location = locationResolver.Resolve(command.Location with
        {
            Country = command.Location.Country?.ToUpperInvariant(),
            Admin1Region = command.Location.Admin1Region?.ToUpperInvariant(),
        });
        var image = command.Image ?? throw new ArgumentException("The command carries no image; validation should have refused it.", nameof(command));
        var prediction = await classifier.PredictAsync(image.Content, location, cancellationToken).ConfigureAwait(false);
        return new ClassifyImageResult(image.FileName, image.Length, prediction, command.EchoPrompt ? command.Prompt : null);
    }
}
