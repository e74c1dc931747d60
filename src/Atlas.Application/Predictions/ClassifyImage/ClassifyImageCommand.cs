using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Predictions.ClassifyImage;

/// <summary>Run SpeciesNet on one uploaded image (<c>POST /uploadfile/</c>).</summary>
public sealed record ClassifyImageCommand(ImageUpload? Image, GeoLocation Location) : ICommand<ClassifyImageResult>, IInferenceRequest, ISingleImageRequest;

/// <summary>The upload's identity plus the SpeciesNet ensemble's answer.</summary>
public sealed record ClassifyImageResult(string FileName, long ContentSize, SpeciesNetPrediction SpeciesNet);

public sealed class ClassifyImageValidator(IValidator<ImageUpload> uploadValidator, IValidator<GeoLocation> locationValidator)
    : SingleImageValidator<ClassifyImageCommand>(uploadValidator, locationValidator);

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
        return new ClassifyImageResult(image.FileName, image.Length, prediction);
    }
}
