using Atlas.Application.Images;
using Atlas.Domain.Abstractions;
using Atlas.Infrastructure.Gemini;
using Atlas.Infrastructure.Geolocation;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Jobs;
using Atlas.Infrastructure.Metadata;
using Atlas.Infrastructure.Onnx;
using Atlas.Infrastructure.Rendering;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Registers the ONNX SpeciesNet engine, image decoding, the US region locator and the Gemini gateway.</summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IUsRegionLocator, UsRegionLocator>();
        services.AddSingleton<IImageMetadataReader, ExifMetadataReader>();
        services.AddSingleton<ICountryLocator, CountryLocator>();

        services.AddOptions<SpeciesNetOptions>()
            .BindConfiguration(SpeciesNetOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<OnnxRuntimeOptions>()
            .BindConfiguration(OnnxRuntimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new OnnxSessionFactory(
            sp.GetRequiredService<IOptions<OnnxRuntimeOptions>>().Value,
            sp.GetRequiredService<ILogger<OnnxSessionFactory>>()));
        services.AddSingleton(sp => new ImageDecoder(new ImageDecoderOptions
        {
            MaxPixels = sp.GetRequiredService<IOptions<UploadOptions>>().Value.MaxImagePixels,
        }));
        services.TryAddSingleton<IInferenceMetrics, NoInferenceMetrics>();
        services.AddSingleton<IPredictionRenderer, SkiaPredictionRenderer>();
        services.AddSingleton<SpeciesNetHost>();
        services.AddSingleton<ISpeciesClassifier>(sp => sp.GetRequiredService<SpeciesNetHost>());
        services.AddHostedService(sp => sp.GetRequiredService<SpeciesNetHost>());
        services.AddGemini(configuration);
        services.AddJobBackends(configuration);
        return services;
    }
}
