using System.Text.Json;
using Atlas.Api.ErrorHandling;
using Atlas.Api.Uploads;

namespace Atlas.Api;

public static class DependencyInjection
{
    /// <summary>Controllers, JSON and error shape, multipart intake.</summary>
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.AddControllers(options =>
            {
                options.Filters.Add<FormIntakeFilter>();
            })
            .AddJsonOptions(options =>
            {
                options.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            })
            .ConfigureApiBehaviorOptions(options =>
            {
                // Binding errors (a latitude that is not a number, a missing body) answer with the same
                // ValidationProblemDetails shape as the FluentValidation pipeline.
                options.InvalidModelStateResponseFactory = context => ProblemWriter.InvalidFields(context.ModelState);
            });
        services.AddOptions<MultiImageIntakeOptions>()
            .BindConfiguration(MultiImageIntakeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BodyIntakeOptions>()
            .BindConfiguration(BodyIntakeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<BatchIntake>();
        services.AddSingleton<JobIntake>();
        services.AddAtlasProblemDetails();
        return services;
    }
}
