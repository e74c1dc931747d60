using Atlas.Api;
using Atlas.Api.Configuration;
using Atlas.Api.Observability;
using Atlas.Api.Security;
using Atlas.Application;
using Atlas.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.Configuration.AddEnvironmentAliases();
    builder.ApplyAtlasListenAddress();

    builder.Services
        .AddAtlasObservability(builder.Configuration, builder.Environment)
        .AddAtlasSecurity()
        .AddApi()
        .AddApplication()
        .AddInfrastructure(builder.Configuration);

    var app = builder.Build();
    // Every setting is checked here, once the configuration is complete and before any options class is bound.
    builder.Configuration.CheckAtlasSettings();
    app.LogAtlasListenAddresses();

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
}
catch (Exception ex) when (ex is not HostAbortedException && !builder.Environment.IsEnvironment("Testing") && ListenAddress.AddressInUseMessage(ex) is { } inUse)
{
    // A taken port is an operator's everyday mistake, in Development too: one line, exit 1, no stack trace.
    Console.Error.WriteLine($"Atlas failed to start: {inUse}");
    return 1;
}
catch (InvalidSettingsException ex) when (!builder.Environment.IsEnvironment("Testing"))
{
    // So is a mistyped setting: the line names the variable; a stack trace would add nothing (Development too).
    Console.Error.WriteLine($"Atlas failed to start: {StartErrors.Describe(ex, builder.Configuration)}");
    return 1;
}
catch (Exception ex) when (ex is not HostAbortedException && !builder.Environment.IsDevelopment() && !builder.Environment.IsEnvironment("Testing"))
{
    // In production a configuration or model-bundle error prints one line naming what to fix and exits with 1,
    // instead of an unhandled-exception abort (exit 134) with a stack trace. Development and tests see the exception.
    Console.Error.WriteLine($"Atlas failed to start: {StartErrors.Describe(ex, builder.Configuration)}");
    return 1;
}

return 0;

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
