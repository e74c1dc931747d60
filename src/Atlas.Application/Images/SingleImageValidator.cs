using Atlas.Domain.SpeciesNet;
using FluentValidation;

namespace Atlas.Application.Images;

/// <summary>A command that carries one uploaded image (form field <c>file</c>) and where it was taken.</summary>
public interface ISingleImageRequest
{
    ImageUpload? Image { get; }

    GeoLocation Location { get; }
}

/// <summary>
/// The rules every single-image route shares: <c>file</c> is required and passes the upload checks, and the location
/// fields are valid. Route validators derive from it and add their own options.
/// </summary>
public abstract class SingleImageValidator<T> : AbstractValidator<T>
    where T : ISingleImageRequest
{
    protected SingleImageValidator(IValidator<ImageUpload> uploadValidator, IValidator<GeoLocation> locationValidator)
    {
        RuleFor(c => c.Image)
            .NotNull()
            .WithMessage("file is required: send the image as the multipart form field 'file'.")
            .OverridePropertyName("file")
            .DependentRules(() => RuleFor(c => c.Image!).SetValidator(uploadValidator).OverridePropertyName(string.Empty));
        RuleFor(c => c.Location).SetValidator(locationValidator).OverridePropertyName(string.Empty);
    }
}
