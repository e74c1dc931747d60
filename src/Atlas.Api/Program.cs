using Atlas.Api;
using Atlas.Api.Configuration;
using Atlas.Api.Observability;
using Atlas.Api.Security;
using Atlas.Application;
using Atlas.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddEnvironmentAliases();
builder.Configuration.ValidateCoreSettings();

builder.Services
    .AddAtlasObservability(builder.Configuration, builder.Environment)
    .AddAtlasSecurity()
    .AddApi()
    .AddApplication()
    .AddInfrastructure(builder.Configuration);

var app = builder.Build();

// The order is the policy: see docs/design/security.md.
app.UseAtlasRequestLogging();
app.UseAtlasSecurityHeaders();
// Routing and the HTTP metrics sit outside the exception handler, so a request answered from an exception
// (415, 422, 503…) is counted under the status actually sent, with its route (captured before the handler clears it).
app.UseRouting();
app.UseAtlasHttpMetrics();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAtlasEdgeSecurity();
app.UseAtlasAccessControl();
app.MapControllers().WithAtlasRoutePolicies();
app.MapAtlasLiveness();
app.MapAtlasMetrics();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
