using Atlas.Application.Behaviors;
using Atlas.Application.Gemini;
using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Application.ServiceInfo;
using Atlas.Domain.Geolocation;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Atlas.Application;

public static class DependencyInjection
{
    /// <summary>
    /// Registers the use cases (source-generated Mediator, scoped so handlers can take scoped services such as
    /// typed HttpClients), the pipeline (logging outermost, then validation, then the inference gate), the validators,
    /// the upload options and the inference gate (its limits come from <see cref="InferenceGateOptions"/>).
    /// </summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.PipelineBehaviors = [typeof(LoggingBehavior<,>), typeof(ValidationBehavior<,>), typeof(InferenceGateBehavior<,>)];
        });
        services.AddValidatorsFromAssemblyContaining<ImageUploadValidator>(ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddOptions<UploadOptions>()
            .BindConfiguration(UploadOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<Predictions.Batch.BatchOptions>()
            .BindConfiguration(Predictions.Batch.BatchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<Jobs.JobsOptions>()
            .BindConfiguration(Jobs.JobsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<Jobs.JobProcessor>();
        services.AddHealthChecks().AddCheck<ModelHealthCheck>(ModelHealthCheck.Name, tags: [AtlasHealth.Required]);
        services.AddSingleton<LocationResolver>();
        services.AddSingleton<ImageLocationResolver>();
        services.AddGeminiAnalysis();
        services.AddOptions<InferenceGateOptions>()
            .BindConfiguration(InferenceGateOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IInferenceGate, InferenceGate>();
        return services;
    }
}
