using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Security;

/// <summary>
/// Adds the browser-hardening headers to every answer, errors included: they are set when the response starts
/// (after the exception handler or any middleware has cleared and rewritten it), so no path can skip them.
/// JSON routes get a Content-Security-Policy that allows nothing; the API docs pages (when enabled) get one that
/// lets their own scripts and styles run. HSTS is sent on HTTPS answers (as seen after forwarded headers).
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<ApiDocsOptions> options)
{
    public const string JsonContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>Swagger UI (<c>/docs</c>): its own files plus the inline script that configures it.</summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    /// <summary>ReDoc (<c>/redoc</c>): NSwag's page loads the ReDoc bundle from jsDelivr and its fonts from Google Fonts, and ReDoc runs a blob: worker.</summary>
    public const string RedocContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; " +
        "img-src 'self' data:; font-src 'self' data: https://fonts.gstatic.com; connect-src 'self'; worker-src 'self' blob:; " +
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public const string StrictTransportSecurity = "max-age=31536000; includeSubDomains";

    private readonly bool _docs = options.Value.EnableApiDocs;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(Apply, context);
        return next(context);
    }

    private Task Apply(object state)
    {
        var context = (HttpContext)state;
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = !_docs ? JsonContentSecurityPolicy
            : context.Request.Path.StartsWithSegments(ApiDocs.SwaggerUiPath) ? DocsContentSecurityPolicy
            : context.Request.Path.StartsWithSegments(ApiDocs.RedocPath) ? RedocContentSecurityPolicy
            : JsonContentSecurityPolicy;
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = StrictTransportSecurity;
        }
        headers.Remove(HeaderNames.Server);
        return Task.CompletedTask;
    }
}
