using System.ComponentModel.DataAnnotations;

namespace Atlas.Application.Configuration;

/// <summary>
/// A DataAnnotations check of one setting whose failure reads as the rest of a sentence about the value
/// (<c>is '/data/in', which is not an existing folder.</c>), so the start error can put the setting's name, and its
/// environment variable, in front of it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public abstract class SettingAttribute : ValidationAttribute
{
    /// <summary>What is wrong with <paramref name="value"/>, each phrased to follow the setting's name; none when it is fine.</summary>
    public abstract IEnumerable<string> Problems(object? value);

    /// <inheritdoc />
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        var problems = Problems(value).ToList();
        if (problems.Count == 0) return ValidationResult.Success;
        var member = validationContext.MemberName ?? validationContext.DisplayName;
        return new ValidationResult(string.Join(" ", problems.Select(p => $"{member} {p}")), [member]);
    }
}

/// <summary>A folder that must exist when set.</summary>
public sealed class ExistingFolderAttribute : SettingAttribute
{
    /// <inheritdoc />
    public override IEnumerable<string> Problems(object? value)
    {
        if (value is string path && !string.IsNullOrWhiteSpace(path) && !Directory.Exists(path.Trim()))
        {
            yield return $"is '{path.Trim()}', which is not an existing folder.";
        }
    }
}

/// <summary>An absolute http or https URL.</summary>
public sealed class HttpUrlAttribute : SettingAttribute
{
    /// <inheritdoc />
    public override IEnumerable<string> Problems(object? value)
    {
        var text = value switch
        {
            Uri uri => uri.OriginalString,
            string s => s,
            _ => null,
        };
        if (text is null) yield break;
        if (!(Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
        {
            yield return $"is '{text}', which is not an absolute http(s) URL.";
        }
    }
}

/// <summary>
/// Another accepted spelling of a setting's value (<c>gpu</c> for <c>cuda</c>), rewritten to the canonical one before
/// the configuration is bound.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true)]
public sealed class SpellingAttribute(string alias, string canonical) : Attribute
{
    /// <summary>The accepted alternative (compared in any case).</summary>
    public string Alias { get; } = alias;

    /// <summary>The value the binder gets.</summary>
    public string Canonical { get; } = canonical;
}

/// <summary>A setting that may hold a secret (a key, a password in a connection string): start errors never quote its value.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
