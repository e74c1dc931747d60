using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.Rendering;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Rendering;

/// <summary>Run SpeciesNet on one image and draw the answer onto it (<c>POST /v1/render</c>).</summary>
public sealed record RenderImageCommand(ImageUpload? Image, GeoLocation Location, RenderOptions Options) : ICommand<RenderImageResult>, IInferenceRequest, ISingleImageRequest;

/// <summary>The JPEG, the prediction it shows and where its location came from.</summary>
public sealed record RenderImageResult(RenderedImage Image, SpeciesNetPrediction SpeciesNet, ResolvedLocation Location);

public sealed class RenderImageValidator : SingleImageValidator<RenderImageCommand>
{
    public RenderImageValidator(IValidator<ImageUpload> uploadValidator, IValidator<GeoLocation> locationValidator)
        : base(uploadValidator, locationValidator)
    {
        RuleFor(c => c.Options.MinConfidence)
            .InclusiveBetween(0, 1).WithMessage("min_conf must be between 0 and 1.").OverridePropertyName("min_conf");
        RuleFor(c => c.Options.JpegQuality)
            .InclusiveBetween(1, 100).WithMessage("quality must be a whole number between 1 and 100.").OverridePropertyName("quality");
        RuleFor(c => c.Options.MaxSize)
            .InclusiveBetween(RenderOptions.MinMaxSize, RenderOptions.MaxMaxSize)
            .When(c => c.Options.MaxSize is not null)
            .WithMessage($"max_size must be a whole number of pixels between {RenderOptions.MinMaxSize} and {RenderOptions.MaxMaxSize}.")
            .OverridePropertyName("max_size");
    }
}

/// <summary>
/// Resolves the location as the /v1 routes do (explicit fields, else EXIF GPS; country derived offline), runs the
/// engine and renders the boxes on the upright image.
/// </summary>
public sealed class RenderImageHandler(
    ISpeciesClassifier classifier,
    IImageMetadataReader metadataReader,
    ImageLocationResolver locationResolver,
    IPredictionRenderer renderer) : ICommandHandler<RenderImageCommand, RenderImageResult>
{
    public async ValueTask<RenderImageResult> Handle(RenderImageCommand command, CancellationToken cancellationToken)
    {
        var image = command.Image ?? throw new ArgumentException("The command carries no image; validation should have refused it.", nameof(command));
        var requested = command.Location with
        {
            Country = command.Location.Country?.ToUpperInvariant(),
            Admin1Region = command.Location.Admin1Region?.ToUpperInvariant(),
        };
        var location = locationResolver.Resolve(requested, metadataReader.Read(image.Content));
        var prediction = await classifier.PredictAsync(image.Content, location.Location, cancellationToken).ConfigureAwait(false);
        var rendered = renderer.Render(image.Content, prediction, command.Options);
        return new RenderImageResult(rendered, prediction, location);
    }
}
