using NSwag;

namespace Atlas.Api.Security;

/// <summary>
/// OpenAPI document and docs pages (NSwag), served only when <c>ENABLE_API_DOCS=true</c>: <c>/docs</c> (Swagger
/// UI), <c>/redoc</c> (ReDoc) and the document at <c>/openapi/v1.json</c>.
/// </summary>
internal static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string SwaggerUiPath = "/docs";
    public const string RedocPath = "/redoc";

    public static IServiceCollection AddAtlasApiDocs(this IServiceCollection services) =>
        services.AddOpenApiDocument(document =>
        {
            document.DocumentName = "v1";
            document.Title = "Atlas";
            document.Description = "SpeciesNet camera-trap classification and Gemini image analysis.";
            document.AddSecurity("ApiKey", new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.ApiKey,
                Name = ApiKeyMiddleware.HeaderName,
                In = OpenApiSecurityApiKeyLocation.Header,
                Description = "Needed when the service is started with ATLAS_API_KEYS.",
            });
            document.OperationProcessors.Add(new AtlasOpenApiProcessor());
        });

    public static IApplicationBuilder UseAtlasApiDocs(this IApplicationBuilder app)
    {
        app.UseOpenApi(settings => settings.Path = "/openapi/{documentName}.json");
        app.UseSwaggerUi(settings =>
        {
            settings.Path = SwaggerUiPath;
            settings.DocumentPath = "/openapi/{documentName}.json";
        });
        app.UseReDoc(settings =>
        {
            settings.Path = RedocPath;
            settings.DocumentPath = DocumentPath;
        });
        return app;
    }
}
