using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Atlas.Application.Configuration;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Configuration;

/// <summary>The start failure for settings that cannot be bound or do not pass their checks; its message is the one line printed.</summary>
public sealed class InvalidSettingsException(string message) : InvalidOperationException(message);

/// <summary>
/// The one place that turns bad settings into the one-line start error naming the environment variable
/// (<c>MAX_UPLOAD_BYTES (Uploads:MaxFileBytes) is '5MB', which is not a whole number between 1 and 536870912.</c>).
/// Each value that is set is converted as the binder would convert it and checked against its property's
/// DataAnnotations (ranges, choices, <see cref="SettingAttribute"/> checks), so every mistake is reported at once,
/// including those the binder would only report one at a time ('abc' for a number).
/// </summary>
public static class StartErrors
{
    /// <summary>Adds the canonical spellings and stops the start, before any options are bound, when a setting is bad.</summary>
    /// <exception cref="InvalidSettingsException">At least one setting is bad.</exception>
    public static void CheckAtlasSettings(this IConfigurationManager configuration)
    {
        configuration.AddCanonicalSpellings();
        var problems = Problems(configuration);
        if (problems.Count > 0) throw new InvalidSettingsException(string.Join(" ", problems));
    }

    /// <summary>The one line for a failed start: the settings' problems when there are any, else the failure's own messages.</summary>
    public static string Describe(Exception exception, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is not InvalidSettingsException)
        {
            var problems = Problems(configuration);
            if (problems.Count > 0) return string.Join(" ", problems);
        }
        var reasons = exception is AggregateException all ? all.InnerExceptions.SelectMany(Reasons) : Reasons(exception);
        return string.Join(" ", reasons.Distinct(StringComparer.Ordinal));
    }

    private static IEnumerable<string> Reasons(Exception exception) =>
        exception is OptionsValidationException options ? options.Failures : [exception.Message];

    /// <summary>Every problem of the settings that are set, each naming its variable and quoting the value.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        foreach (var group in SettingsCatalog.Settings.GroupBy(s => s.Options))
        {
            var before = problems.Count;
            foreach (var setting in group) problems.AddRange(Problems(setting, configuration[setting.Key]));
            if (problems.Count == before && typeof(IValidatableObject).IsAssignableFrom(group.Key))
            {
                problems.AddRange(CrossChecks(group.Key, configuration));
            }
        }
        return problems;
    }

    private static IEnumerable<string> Problems(Setting setting, string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) yield break;
        var name = EnvironmentAliases.NameOf(setting.Key);
        var shown = setting.Property.IsDefined(typeof(SecretAttribute)) ? "***" : raw.Trim();
        object? value = raw;
        if (setting.ValueType != typeof(string))
        {
            try
            {
                value = TypeDescriptor.GetConverter(setting.ValueType).ConvertFromInvariantString(raw);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
            {
                value = null;
            }
            if (value is null)
            {
                yield return Expected(setting, name, shown);
                yield break;
            }
        }

        var context = new ValidationContext(Activator.CreateInstance(setting.Options)!) { MemberName = setting.Property.Name };
        foreach (var attribute in setting.Property.GetCustomAttributes<ValidationAttribute>())
        {
            switch (attribute)
            {
                case SettingAttribute check:
                    foreach (var problem in check.Problems(value)) yield return $"{name} {problem}";
                    break;
                case RangeAttribute or AllowedValuesAttribute when !attribute.IsValid(value):
                    yield return Expected(setting, name, shown);
                    break;
                default:
                    if (attribute.GetValidationResult(value, context) is { } failure && failure != ValidationResult.Success)
                    {
                        yield return $"{name} is '{shown}': {failure.ErrorMessage}";
                    }
                    break;
            }
        }
    }

    /// <summary>What the setting expects, in the message style of the seed: "is 'x', which is not a whole number between 1 and 10."</summary>
    private static string Expected(Setting setting, string name, string text)
    {
        if (SettingsCatalog.Choices(setting) is { } choices) return $"{name} is '{text}'; expected one of: {string.Join(", ", choices)}.";
        var type = setting.ValueType;
        var whole = type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong);
        var number = type == typeof(double) || type == typeof(float) || type == typeof(decimal);
        if (whole || number)
        {
            var range = setting.Property.GetCustomAttribute<RangeAttribute>() is { } r ? $" between {Bound(r.Minimum, whole)} and {Bound(r.Maximum, whole)}" : "";
            return $"{name} is '{text}', which is not {(whole ? "a whole number" : "a number")}{range}.";
        }
        if (type == typeof(bool)) return $"{name} is '{text}', which is not a boolean (use true or false).";
        if (type == typeof(Uri)) return $"{name} is '{text}', which is not a URL.";
        if (type == typeof(TimeSpan)) return $"{name} is '{text}', which is not a duration (hh:mm:ss).";
        return $"{name} is '{text}', which is not a valid {type.Name}.";
    }

    private static string Bound(object bound, bool whole)
    {
        var value = Convert.ToDouble(bound, CultureInfo.InvariantCulture);
        if (!whole) return value.ToString(CultureInfo.InvariantCulture);
        return value >= long.MaxValue ? long.MaxValue.ToString(CultureInfo.InvariantCulture) : ((long)value).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The checks of an options class that involve several of its settings (<see cref="IValidatableObject"/>).</summary>
    private static IEnumerable<string> CrossChecks(Type options, IConfiguration configuration)
    {
        var section = SettingsCatalog.Bound.First(b => b.Options == options).Section;
        var instance = Activator.CreateInstance(options)!;
        (section.Length == 0 ? configuration : configuration.GetSection(section)).Bind(instance);
        var keys = SettingsCatalog.Settings.Where(s => s.Options == options).Select(s => s.Key).ToList();
        return ((IValidatableObject)instance).Validate(new ValidationContext(instance))
            .Select(r => r.ErrorMessage)
            .OfType<string>()
            // The rule's message names configuration keys; name their variables too.
            .Select(message => keys.Aggregate(message, (text, key) =>
                Regex.Replace(text, Regex.Escape(key) + "(?![A-Za-z0-9])", EnvironmentAliases.NameOf(key).Replace("$", "$$", StringComparison.Ordinal))));
    }
}
