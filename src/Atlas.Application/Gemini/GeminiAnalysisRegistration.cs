using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Application.Gemini;

public static class GeminiAnalysisRegistration
{
    /// <summary>The Gemini use case's limits (its handler and validator are found with the others).</summary>
    public static IServiceCollection AddGeminiAnalysis(this IServiceCollection services)
    {
        services.AddOptions<GeminiAnalysisOptions>()
            .BindConfiguration(GeminiAnalysisOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
