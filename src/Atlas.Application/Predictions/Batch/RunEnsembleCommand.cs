using Atlas.Domain.Abstractions;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Atlas.Domain.Taxonomy;
using FluentValidation;
using Mediator;

namespace Atlas.Application.Predictions.Batch;

/// <summary>One precomputed instance of <c>POST /v1/ensemble</c>: SpeciesNet's model outputs plus its location.</summary>
/// <param name="FilePath">The instance's <c>filepath</c>, echoed.</param>
/// <param name="Location">Its location fields (normalised by the handler).</param>
/// <param name="Classifications">The classifier's top classes and scores, or null when absent (a CLASSIFIER failure).</param>
/// <param name="Detections">The detector's boxes sorted by confidence, or null when absent (a DETECTOR failure).</param>
public sealed record EnsembleInstance(string? FilePath, GeoLocation Location, Classifications? Classifications, IReadOnlyList<Detection>? Detections);

/// <summary>
/// SpeciesNet's ensemble-only mode over HTTP: re-runs the rules of spec 4 (geofence, roll-up) on precomputed
/// classifications and detections with a new location, without running the models. <paramref name="Country"/> and
/// <paramref name="Admin1Region"/> override every instance as SpeciesNet's <c>--country</c>/<c>--admin1_region</c> do.
/// </summary>
public sealed record RunEnsembleCommand(IReadOnlyList<EnsembleInstance>? Instances, string? Format, string? Country, string? Admin1Region)
    : ICommand<RunEnsembleResult>;

public sealed record RunEnsembleResult(OutputFormat Format, IReadOnlyList<BatchImageResult> Results);

public sealed class RunEnsembleValidator : AbstractValidator<RunEnsembleCommand>
{
    private static readonly HashSet<string> DetectionLabels = new(["animal", "human", "vehicle"], StringComparer.Ordinal);

    public RunEnsembleValidator(IValidator<GeoLocation> locationValidator, Microsoft.Extensions.Options.IOptions<BatchOptions> options)
    {
        var max = options.Value.MaxImages;
        RuleFor(c => c.Format).Must(f => BatchSettings.TryFormat(f, out _))
            .WithMessage("format must be speciesnet (default), megadetector or csv.").OverridePropertyName("format");
        RuleFor(c => new GeoLocation(c.Country, c.Admin1Region, null, null)).SetValidator(locationValidator).OverridePropertyName(string.Empty);
        RuleFor(c => c.Instances).NotEmpty()
            .WithMessage("predictions (or instances) is required: a non-empty array of SpeciesNet entries with classifications and detections.")
            .OverridePropertyName("predictions");
        RuleFor(c => c.Instances!.Count).LessThanOrEqualTo(max).When(c => c.Instances is not null)
            .WithMessage($"At most {max} instances per request.").OverridePropertyName("predictions");
        RuleFor(c => c).Custom((c, context) =>
        {
            if (c.Instances is null) return;
            for (var i = 0; i < c.Instances.Count; i++)
            {
                var at = $"predictions[{i}]";
                var instance = c.Instances[i];
                if (string.IsNullOrWhiteSpace(instance.FilePath)) context.AddFailure($"{at}.filepath", "filepath is required.");
                foreach (var failure in locationValidator.Validate(instance.Location).Errors)
                {
                    context.AddFailure($"{at}.{failure.PropertyName}", failure.ErrorMessage);
                }
                if (instance.Classifications is { } cls)
                {
                    if (cls.Classes.Count == 0 || cls.Classes.Count != cls.Scores.Count)
                        context.AddFailure($"{at}.classifications", "classifications needs classes and scores of the same, non-zero length.");
                    for (var k = 0; k < cls.Classes.Count; k++)
                    {
                        if (!SpeciesLabel.TryParse(cls.Classes[k], out _))
                            context.AddFailure($"{at}.classifications.classes[{k}]", "Each class is a 7-field SpeciesNet label string (uuid;class;order;family;genus;species;common name).");
                    }
                    for (var k = 0; k < cls.Scores.Count; k++)
                    {
                        if (!double.IsFinite(cls.Scores[k]) || cls.Scores[k] is < 0 or > 1)
                            context.AddFailure($"{at}.classifications.scores[{k}]", "Each score is a number from 0 to 1.");
                    }
                }
                if (instance.Detections is { } dets)
                {
                    for (var k = 0; k < dets.Count; k++)
                    {
                        var d = dets[k];
                        if (!DetectionLabels.Contains(d.Label ?? string.Empty))
                            context.AddFailure($"{at}.detections[{k}].label", "label must be animal, human or vehicle.");
                        if (!double.IsFinite(d.Conf) || d.Conf is < 0 or > 1)
                            context.AddFailure($"{at}.detections[{k}].conf", "conf is a number from 0 to 1.");
                        if (d.Bbox is not { Count: 4 })
                            context.AddFailure($"{at}.detections[{k}].bbox", "bbox is [xmin, ymin, width, height].");
                    }
                    for (var k = 1; k < dets.Count; k++)
                    {
                        if (dets[k].Conf > dets[k - 1].Conf)
                        {
                            context.AddFailure($"{at}.detections", "detections must be sorted by conf, highest first (as SpeciesNet writes them).");
                            break;
                        }
                    }
                }
            }
        });
    }
}

/// <summary>Applies the overrides, resolves each location (admin1 as SpeciesNet derives it), and combines each instance.</summary>
public sealed class RunEnsembleHandler(ISpeciesClassifier classifier, ImageLocationResolver locationResolver)
    : ICommandHandler<RunEnsembleCommand, RunEnsembleResult>
{
    public ValueTask<RunEnsembleResult> Handle(RunEnsembleCommand command, CancellationToken cancellationToken)
    {
        BatchSettings.TryFormat(command.Format, out var format);
        var country = command.Country?.ToUpperInvariant();
        var admin1 = command.Admin1Region?.ToUpperInvariant();
        var results = new List<BatchImageResult>(command.Instances!.Count);
        foreach (var instance in command.Instances)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var requested = LocationResolver.ApplyOverride(PrepareBatchHandler.Normalise(instance.Location), country, admin1);
            var (location, source) = Resolve(requested);
            var prediction = classifier.Combine(instance.Classifications, instance.Detections, location);
            results.Add(new BatchImageResult(instance.FilePath!, prediction, source,
                null, null, ImageMetadata.None, null, null));
        }
        return ValueTask.FromResult(new RunEnsembleResult(format, results));
    }

    /// <summary>As for uploads (country derived from the coordinates when not given), without EXIF.</summary>
    private (GeoLocation Location, string Source) Resolve(GeoLocation requested)
    {
        var resolved = locationResolver.Resolve(requested, ImageMetadata.None);
        return (resolved.Location, resolved.Source.ToWire());
    }
}
