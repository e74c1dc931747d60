using System.Reflection;
using Atlas.Domain.Abstractions;
using Atlas.Domain.SpeciesNet;
using Mediator;

namespace Atlas.Application.ServiceInfo;

/// <summary><c>GET /</c>: what this service is and which model it runs.</summary>
public sealed record GetServiceInfoQuery : IQuery<ServiceInfoResult>;

public sealed record ServiceInfoResult(string Service, string Version, ModelStatus Model);

public sealed class GetServiceInfoHandler(ISpeciesClassifier classifier) : IQueryHandler<GetServiceInfoQuery, ServiceInfoResult>
{
    /// <summary>Informational version of the Atlas assemblies (without the source-revision suffix).</summary>
    public static readonly string ServiceVersion = ReadVersion();

    public ValueTask<ServiceInfoResult> Handle(GetServiceInfoQuery query, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ServiceInfoResult("Atlas", ServiceVersion, classifier.Status));

    private static string ReadVersion()
    {
        var informational = typeof(GetServiceInfoHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? informational[..plus] : informational;
    }
}
