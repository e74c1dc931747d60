using System.Globalization;
using Atlas.Domain.SpeciesNet;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Predictions.Batch;

/// <summary>
/// The request-wide settings of a batch (<c>POST /v1/predictions</c>), exactly as the client sent them (strings are
/// parsed and checked here so that every mistake is reported as a 400 naming its field), plus the request-wide default
/// location and the per-image locations of the <c>metadata</c> part, keyed by file name. Sent before any image is read.
/// </summary>
public sealed record PrepareBatchCommand(
    string? Format,
    string? Mode,
    string? ClassifyAllBoxes,
    string? MaxClassifications,
    string? MinBoxConfidence,
    GeoLocation Defaults,
    IReadOnlyDictionary<string, GeoLocation> PerImage) : ICommand<BatchPlan>;

/// <summary>The validated settings of a batch.</summary>
public sealed record BatchPlan(OutputFormat Format, AnalysisOptions Options, GeoLocation Defaults, IReadOnlyDictionary<string, GeoLocation> PerImage)
{
    /// <summary>
    /// The location the client gave for <paramref name="fileName"/>: its metadata entry's fields, each missing one
    /// taken from the request-wide defaults (admin1 only along with the default country, coordinates as a pair).
    /// </summary>
    public GeoLocation LocationFor(string fileName)
    {
        if (!PerImage.TryGetValue(fileName, out var own)) return Defaults;
        var country = own.Country ?? Defaults.Country;
        var admin1 = own.Admin1Region ?? (own.Country is null ? Defaults.Admin1Region : null);
        var (lat, lon) = own.Latitude is not null ? (own.Latitude, own.Longitude) : (Defaults.Latitude, Defaults.Longitude);
        return new GeoLocation(country, admin1, lat, lon);
    }
}

/// <summary>Parses the option strings of the batch and ensemble routes.</summary>
public static class BatchSettings
{
    public static readonly IReadOnlyDictionary<string, OutputFormat> Formats = new Dictionary<string, OutputFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["speciesnet"] = OutputFormat.SpeciesNet,
        ["megadetector"] = OutputFormat.MegaDetector,
        ["csv"] = OutputFormat.Csv,
    };

    public static readonly IReadOnlyDictionary<string, ComponentMode> Modes = new Dictionary<string, ComponentMode>(StringComparer.OrdinalIgnoreCase)
    {
        ["full"] = ComponentMode.Full,
        ["ensemble"] = ComponentMode.Full,
        ["detector"] = ComponentMode.DetectorOnly,
        ["detector_only"] = ComponentMode.DetectorOnly,
        ["classifier"] = ComponentMode.ClassifierOnly,
        ["classifier_only"] = ComponentMode.ClassifierOnly,
    };

    public const int MaxClassificationsLimit = 100;

    public static bool TryFormat(string? value, out OutputFormat format)
    {
        format = OutputFormat.SpeciesNet;
        return string.IsNullOrWhiteSpace(value) || Formats.TryGetValue(value.Trim(), out format);
    }

    public static bool TryMode(string? value, out ComponentMode mode)
    {
        mode = ComponentMode.Full;
        return string.IsNullOrWhiteSpace(value) || Modes.TryGetValue(value.Trim(), out mode);
    }

    public static bool TryBool(string? value, out bool result)
    {
        result = false;
        if (string.IsNullOrWhiteSpace(value)) return true;
        switch (value.Trim().ToLowerInvariant())
        {
            case "true" or "1" or "yes" or "on": result = true; return true;
            case "false" or "0" or "no" or "off": result = false; return true;
            default: return false;
        }
    }

    public static bool TryInt(string? value, int fallback, out int result)
    {
        result = fallback;
        return string.IsNullOrWhiteSpace(value)
            || (int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out result) && result is >= 1 and <= MaxClassificationsLimit);
    }

    public static bool TryConfidence(string? value, double fallback, out double result)
    {
        result = fallback;
        return string.IsNullOrWhiteSpace(value)
            || (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out result) && result is >= 0 and <= 1);
    }
}

public sealed class PrepareBatchValidator : AbstractValidator<PrepareBatchCommand>
{
    public PrepareBatchValidator(IValidator<GeoLocation> locationValidator)
    {
        RuleFor(c => c.Format).Must(f => BatchSettings.TryFormat(f, out _))
            .WithMessage("format must be speciesnet (default), megadetector or csv.").OverridePropertyName("format");
        RuleFor(c => c.Mode).Must(m => BatchSettings.TryMode(m, out _))
            .WithMessage("mode must be full (default, also 'ensemble'), detector or classifier.").OverridePropertyName("mode");
        RuleFor(c => c.ClassifyAllBoxes).Must(b => BatchSettings.TryBool(b, out _))
            .WithMessage("classify_all_boxes must be true or false.").OverridePropertyName("classify_all_boxes");
        RuleFor(c => c.MaxClassifications).Must(m => BatchSettings.TryInt(m, 0, out _))
            .WithMessage($"max_classifications must be a whole number from 1 to {BatchSettings.MaxClassificationsLimit}.").OverridePropertyName("max_classifications");
        RuleFor(c => c.MinBoxConfidence).Must(m => BatchSettings.TryConfidence(m, 0, out _))
            .WithMessage("min_box_confidence must be a number from 0 to 1.").OverridePropertyName("min_box_confidence");
        RuleFor(c => c).Custom((c, context) =>
        {
            var boxes = BatchSettings.TryBool(c.ClassifyAllBoxes, out var on) && on;
            var mode = BatchSettings.TryMode(c.Mode, out var m) ? m : ComponentMode.Full;
            if (boxes && mode != ComponentMode.Full)
            {
                context.AddFailure("classify_all_boxes", "classify_all_boxes needs both models: use it with mode=full.");
            }
            if (!boxes && (!string.IsNullOrWhiteSpace(c.MaxClassifications) || !string.IsNullOrWhiteSpace(c.MinBoxConfidence)))
            {
                context.AddFailure(string.IsNullOrWhiteSpace(c.MaxClassifications) ? "min_box_confidence" : "max_classifications",
                    "max_classifications and min_box_confidence apply only with classify_all_boxes=true.");
            }
        });
        RuleFor(c => c.Defaults).SetValidator(locationValidator).OverridePropertyName(string.Empty);
        RuleFor(c => c).Custom((c, context) =>
        {
            foreach (var (name, location) in c.PerImage)
            {
                foreach (var failure in locationValidator.Validate(location).Errors)
                {
                    context.AddFailure($"metadata[{name}].{failure.PropertyName}", failure.ErrorMessage);
                }
            }
        });
    }
}

/// <summary>Turns the validated strings into a <see cref="BatchPlan"/>; codes are upper-cased.</summary>
public sealed class PrepareBatchHandler : ICommandHandler<PrepareBatchCommand, BatchPlan>
{
    public ValueTask<BatchPlan> Handle(PrepareBatchCommand command, CancellationToken cancellationToken)
    {
        BatchSettings.TryFormat(command.Format, out var format);
        BatchSettings.TryMode(command.Mode, out var mode);
        BatchSettings.TryBool(command.ClassifyAllBoxes, out var boxes);
        BatchSettings.TryInt(command.MaxClassifications, BoxClassificationOptions.DefaultMaxClassifications, out var max);
        BatchSettings.TryConfidence(command.MinBoxConfidence, BoxClassificationOptions.DefaultMinConfidence, out var min);
        var options = new AnalysisOptions(mode, boxes ? new BoxClassificationOptions(max, min) : null);
        var perImage = command.PerImage.ToDictionary(p => p.Key, p => Normalise(p.Value), StringComparer.Ordinal);
        return ValueTask.FromResult(new BatchPlan(format, options, Normalise(command.Defaults), perImage));
    }

    public static GeoLocation Normalise(GeoLocation location) => location with
    {
        Country = location.Country?.ToUpperInvariant(),
        Admin1Region = location.Admin1Region?.ToUpperInvariant(),
    };
}
