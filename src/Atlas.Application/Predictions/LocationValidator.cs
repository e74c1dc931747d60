using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using FluentValidation;

namespace Atlas.Application.Predictions;

/// <summary>
/// Optional SpeciesNet location fields: <c>country</c> is an assigned ISO 3166-1 alpha-3 code (<see cref="CountryCodes"/>), <c>admin1_region</c> needs a
/// country, and <c>latitude</c>/<c>longitude</c> come together and in range.
/// </summary>
public sealed class LocationValidator : AbstractValidator<GeoLocation>
{
    public LocationValidator()
    {
        RuleFor(l => l.Country)
            .Matches("^[A-Za-z]{3}$")
            .When(l => l.Country is not null)
            .WithMessage("country must be an ISO 3166-1 alpha-3 code such as USA, KEN or GBR.")
            .OverridePropertyName("country");

        RuleFor(l => l.Country)
            .Must(CountryCodes.IsKnown)
            .When(l => l.Country is not null && l.Country.Length == 3 && l.Country.All(char.IsAsciiLetter))
            .WithMessage(l => $"country '{l.Country}' is not an ISO 3166-1 alpha-3 country code (such as USA, KEN or GBR).")
            .OverridePropertyName("country");

        RuleFor(l => l.Admin1Region)
            .Matches("^[A-Za-z0-9]{1,3}$")
            .When(l => l.Admin1Region is not null)
            .WithMessage("admin1_region must be a first-level region code such as NY (US state codes are 2 letters).")
            .OverridePropertyName("admin1_region");

        RuleFor(l => l.Admin1Region)
            .Null()
            .When(l => l.Country is null)
            .WithMessage("admin1_region is only meaningful together with country.")
            .OverridePropertyName("admin1_region");

        RuleFor(l => l.Latitude)
            .InclusiveBetween(-90, 90)
            .When(l => l.Latitude is not null)
            .WithMessage("latitude must be between -90 and 90.")
            .OverridePropertyName("latitude");

        RuleFor(l => l.Longitude)
            .InclusiveBetween(-180, 180)
            .When(l => l.Longitude is not null)
            .WithMessage("longitude must be between -180 and 180.")
            .OverridePropertyName("longitude");

        RuleFor(l => l).Custom((l, context) =>
        {
            if (l.Latitude.HasValue != l.Longitude.HasValue)
            {
                context.AddFailure(l.Latitude.HasValue ? "longitude" : "latitude", "latitude and longitude must be given together.");
            }
        });
    }
}
