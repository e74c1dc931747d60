using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Application.Predictions.ClassifyImage;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Predictions.AnalyzeImage;

/// <summary>
/// <c>POST /analyze/</c>: the same SpeciesNet analysis as <see cref="ClassifyImageCommand"/>, with the
/// caller's prompt echoed so downstream workflows can tie it to the result.
/// </summary>
public sealed record AnalyzeImageCommand(string? Prompt, ImageUpload? Image, GeoLocation Location) : ICommand<AnalyzeImageResult>, IInferenceRequest;

public sealed record AnalyzeImageResult(string Prompt, ClassifyImageResult Analysis);

public sealed class AnalyzeImageValidator : AbstractValidator<AnalyzeImageCommand>
{
    /// <summary>Longest accepted prompt, in characters.</summary>
    public const int MaxPromptLength = 10_000;

    public AnalyzeImageValidator(IValidator<ClassifyImageCommand> classifyValidator)
    {
        RuleFor(c => c.Prompt)
            .NotEmpty().WithMessage("prompt is required: describe the question or instructions for this image.")
            .MaximumLength(MaxPromptLength).WithMessage($"prompt must be at most {MaxPromptLength:N0} characters.")
            .OverridePropertyName("prompt");
        RuleFor(c => new ClassifyImageCommand(c.Image, c.Location))
            .SetValidator(classifyValidator)
            .OverridePropertyName(string.Empty);
    }
}

public sealed class AnalyzeImageHandler(ICommandHandler<ClassifyImageCommand, ClassifyImageResult> classify)
    : ICommandHandler<AnalyzeImageCommand, AnalyzeImageResult>
{
    public async ValueTask<AnalyzeImageResult> Handle(AnalyzeImageCommand command, CancellationToken cancellationToken)
    {
        var analysis = await classify.Handle(new ClassifyImageCommand(command.Image, command.Location), cancellationToken).ConfigureAwait(false);
        return new AnalyzeImageResult(command.Prompt!, analysis);
    }
}
