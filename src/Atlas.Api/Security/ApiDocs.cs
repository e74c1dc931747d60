using NSwag;

namespace Atlas.Api.Security;

/// <summary>
/// OpenAPI document and docs pages (NSwag), served only when <c>ENABLE_API_DOCS=true</c>: <c>/docs</c> (Swagger
/// UI), <c>/redoc</c> (ReDoc) and the document at <c>/openapi/v1.json</c> and <c>/openapi.json</c> (FastAPI's path).
/// </summary>
internal static class ApiDocs
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string FastApiDocumentPath = "/openapi.json";
    public const string SwaggerUiPath = "/docs";
    public const string RedocPath = "/redoc";
    public const string ApiKeyScheme = "ApiKey";
    public const string MetricsApiKeyScheme = "MetricsApiKey";

    public static IServiceCollection AddAtlasApiDocs(this IServiceCollection services) =>
        services.AddOpenApiDocument(document =>
        {
            document.DocumentName = "v1";
            document.Title = "Atlas";
            document.Description = "SpeciesNet camera-trap classification and Gemini image analysis.";
            // Fixed: the checked-in openapi/atlas.json must not change with each build's version number.
            document.Version = "1";
            document.UseRouteNameAsOperationId = true;
            document.AddSecurity(ApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.ApiKey,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                In = OpenApiSecurityApiKeyLocation.Header,
                Description = "Needed when the service is started with ATLAS_API_KEYS (also accepted as 'Authorization: Bearer <key>').",
            });
            document.AddSecurity(MetricsApiKeyScheme, new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.ApiKey,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                In = OpenApiSecurityApiKeyLocation.Header,
                Description = "Needed for /metrics when the service is started with METRICS_API_KEYS.",
            });
            document.SchemaSettings.SchemaProcessors.Add(new ContractsRequiredSchemaProcessor());
            document.OperationProcessors.Add(new AtlasOpenApiProcessor());
            document.DocumentProcessors.Add(new AtlasOpenApiDocumentProcessor());
        });

    public static IApplicationBuilder UseAtlasApiDocs(this IApplicationBuilder app)
    {
        // The server list is left out: it would echo the request's host, and clients set their own base URL.
        app.UseOpenApi(settings =>
        {
            settings.Path = "/openapi/{documentName}.json";
            settings.PostProcess = (document, _) => document.Servers.Clear();
        });
        // FastAPI's path, which existing clients and tools look for.
        app.UseOpenApi(settings =>
        {
            settings.Path = FastApiDocumentPath;
            settings.DocumentName = "v1";
            settings.PostProcess = (document, _) => document.Servers.Clear();
        });
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
