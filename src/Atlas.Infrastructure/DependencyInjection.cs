using Atlas.Infrastructure.Gemini;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Registers the ONNX SpeciesNet engine, image decoding and the Gemini gateway.</summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGemini(configuration);
        return services;
    }
}
