using System.Globalization;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Atlas.Api.Configuration;

/// <summary>
/// Where Kestrel listens. In this order: <c>ASPNETCORE_URLS</c> / <c>--urls</c> (the <c>urls</c> key) as given;
/// else <c>PORT</c> (set by container platforms) on every interface; else <c>ASPNETCORE_HTTP_PORTS</c> /
/// <c>ASPNETCORE_HTTPS_PORTS</c> (the Docker images set 8000); else <c>http://localhost:8000</c>, the seed's port.
/// The launch profile sets no URL, so <c>dotnet run</c> follows the same rules.
/// </summary>
public static class ListenAddress
{
    public const int DefaultPort = 8000;

    public const string PortVariable = "PORT";

    /// <summary>Chooses the listen address before the host is built.</summary>
    /// <exception cref="InvalidOperationException"><c>PORT</c> is not a TCP port number.</exception>
    public static void ApplyAtlasListenAddress(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        if (!string.IsNullOrWhiteSpace(configuration[WebHostDefaults.ServerUrlsKey])) return;

        var port = configuration[PortVariable];
        if (!string.IsNullOrWhiteSpace(port))
        {
            if (!int.TryParse(port.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw new InvalidOperationException($"{PortVariable} is '{port}', which is not a TCP port number (1-65535).");
            }
            builder.WebHost.UseUrls($"http://+:{number.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        if (!string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey]) || !string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey])) return;
        builder.WebHost.UseUrls($"http://localhost:{DefaultPort.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Logs the addresses Kestrel actually listens on, once the server has started.</summary>
    public static void LogAtlasListenAddresses(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            if (addresses is null || addresses.Count == 0) return;
            app.Logger.LogInformation("Atlas listening on {Addresses:l}", string.Join(", ", addresses));
        });
    }

    /// <summary>
    /// The one-line message for a start that failed because the address is taken (Kestrel's <see cref="IOException"/>
    /// wrapping an <see cref="AddressInUseException"/>); null for any other failure.
    /// </summary>
    public static string? AddressInUseMessage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                var detail = exception is IOException io ? io.Message.TrimEnd('.') : e.Message.TrimEnd('.');
                return $"{detail}. Another process is listening there: stop it, or choose another address with ASPNETCORE_URLS (e.g. http://127.0.0.1:8001), --urls or {PortVariable}.";
            }
        }
        return null;
    }

    /// <summary>True for the host's own error log of an address-in-use start failure, which Program reports in one line instead.</summary>
    public static bool IsAddressInUse(Exception? exception) => exception is not null && AddressInUseMessage(exception) is not null;
}
