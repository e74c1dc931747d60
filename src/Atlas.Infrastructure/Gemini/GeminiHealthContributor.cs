using Atlas.Application.ServiceInfo;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Gemini;

/// <summary><c>/healthz</c> entry "gemini": whether a key is set (never the key) and the model. Not required for readiness.</summary>
internal sealed class GeminiHealthContributor(IOptions<GeminiOptions> options) : IHealthContributor
{
    public string Name => "gemini";

    public HealthCheck Check()
    {
        var o = options.Value;
        return new HealthCheck(o.IsConfigured ? "ok" : "not_configured", Required: false, new Dictionary<string, object?>
        {
            ["configured"] = o.IsConfigured,
            ["model"] = o.ModelId,
        });
    }
}
