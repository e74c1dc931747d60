using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Atlas.Api.Observability;
using Atlas.Api.Security;
using Atlas.Api.Uploads;
using Atlas.Application.Configuration;
using Atlas.Application.Gemini;
using Atlas.Application.Images;
using Atlas.Application.Inference;
using Atlas.Application.Jobs;
using Atlas.Application.Predictions.Batch;
using Atlas.Infrastructure.Gemini;
using Atlas.Infrastructure.Jobs;
using Atlas.Infrastructure.Jobs.Postgres;
using Atlas.Infrastructure.Jobs.RabbitMq;
using Atlas.Infrastructure.Onnx;
using Atlas.Infrastructure.SpeciesNet;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Configuration;

/// <summary>One setting: its configuration key and the options property it binds to.</summary>
public sealed record Setting(string Key, Type Options, PropertyInfo Property)
{
    /// <summary>The property's type, without <see cref="Nullable{T}"/>.</summary>
    public Type ValueType => Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;
}

/// <summary>
/// The one way Atlas reads settings: every options class is bound with <c>AddOptions&lt;T&gt;().BindConfiguration(section)</c>
/// and checked with its DataAnnotations (<c>ValidateDataAnnotations().ValidateOnStart()</c>); this catalog lists them
/// with their sections, so that the start check (<see cref="StartErrors"/>) can name each bad value's environment
/// variable (<see cref="EnvironmentAliases"/>) and the tests can prove that every variable is bound.
/// </summary>
public static class SettingsCatalog
{
    /// <summary>Every bound options class and its configuration section.</summary>
    public static readonly IReadOnlyList<(Type Options, string Section)> Bound =
    [
        (typeof(UploadOptions), UploadOptions.SectionName),
        (typeof(BatchOptions), BatchOptions.SectionName),
        (typeof(JobsOptions), JobsOptions.SectionName),
        (typeof(GeminiAnalysisOptions), GeminiAnalysisOptions.SectionName),
        (typeof(InferenceGateOptions), InferenceGateOptions.SectionName),
        (typeof(SpeciesNetOptions), SpeciesNetOptions.SectionName),
        (typeof(OnnxRuntimeOptions), OnnxRuntimeOptions.SectionName),
        (typeof(GeminiOptions), GeminiOptions.SectionName),
        (typeof(PostgresJobStoreOptions), JobBackends.PostgresSection),
        (typeof(RabbitMqJobBrokerOptions), JobBackends.RabbitMqSection),
        (typeof(MultiImageIntakeOptions), MultiImageIntakeOptions.SectionName),
        (typeof(BodyIntakeOptions), BodyIntakeOptions.SectionName),
        (typeof(CorsPolicyOptions), CorsPolicyOptions.SectionName),
        (typeof(TrustedHostsOptions), TrustedHostsOptions.SectionName),
        (typeof(ProxyOptions), ProxyOptions.SectionName),
        (typeof(RateLimitOptions), RateLimitOptions.SectionName),
        (typeof(ApiKeyOptions), ApiKeyOptions.SectionName),
        (typeof(RequestLimitsOptions), RequestLimitsOptions.SectionName),
        (typeof(ApiDocsOptions), ApiDocsOptions.SectionName),
        (typeof(ObservabilityOptions), ObservabilityOptions.SectionName),
    ];

    /// <summary>Every settable property of the bound options classes, with its key.</summary>
    public static IEnumerable<Setting> Settings =>
        Bound.SelectMany(b => b.Options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .Select(p => new Setting(b.Section.Length == 0 ? p.Name : $"{b.Section}:{p.Name}", b.Options, p)));

    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and checks its DataAnnotations at start.</summary>
    public static OptionsBuilder<TOptions> AddSetting<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>
    /// Adds, last, the canonical spelling of every value written another accepted way, so the binder understands it:
    /// booleans as yes/no/on/off/1/0 (any case), choices in any case, <see cref="SpellingAttribute"/> aliases
    /// (<c>gpu</c> for <c>cuda</c>); a blank value of a non-text setting counts as unset (its default).
    /// </summary>
    public static IConfigurationBuilder AddCanonicalSpellings(this IConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var canonical = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in Settings)
        {
            var raw = configuration[setting.Key];
            if (raw is null) continue;
            if (Canonical(setting, raw) is var value && !string.Equals(value, raw, StringComparison.Ordinal)) canonical[setting.Key] = value;
        }
        return configuration.AddInMemoryCollection(canonical);
    }

    private static string? Canonical(Setting setting, string raw)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            // The binder cannot convert a blank value: it counts as unset, i.e. the property's default.
            return setting.ValueType == typeof(string)
                ? raw
                : Convert.ToString(setting.Property.GetValue(Activator.CreateInstance(setting.Options)), CultureInfo.InvariantCulture);
        }
        if (setting.ValueType == typeof(bool))
        {
            return text.ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" or "ON" => "true",
                "FALSE" or "0" or "NO" or "OFF" => "false",
                _ => raw,
            };
        }
        foreach (var spelling in setting.Property.GetCustomAttributes<SpellingAttribute>())
        {
            if (string.Equals(spelling.Alias, text, StringComparison.OrdinalIgnoreCase)) return spelling.Canonical;
        }
        if (setting.Property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            var match = allowed.Values.OfType<string>().FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match;
        }
        return raw;
    }

    /// <summary>The choices a setting accepts, for messages; null when it is not a choice.</summary>
    internal static IReadOnlyList<string>? Choices(Setting setting)
    {
        var aliases = setting.Property.GetCustomAttributes<SpellingAttribute>().Select(s => s.Alias);
        if (setting.ValueType.IsEnum)
        {
            return [.. Enum.GetNames(setting.ValueType).Select(n => n.ToLowerInvariant()).Concat(aliases)];
        }
        if (setting.Property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed)
        {
            return [.. allowed.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").Concat(aliases)];
        }
        return null;
    }
}
