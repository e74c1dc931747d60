using System.Text.Json;

namespace Atlas.Application.Gemini.AnalyzeWithGemini;

/// <summary>The label an answer is grouped by, and the field it came from.</summary>
public sealed record GroupLabel(string Field, string Value);

/// <summary>
/// How images are grouped by their answers. Pure, so the rules are tested on their own:
/// <list type="number">
/// <item>The label is the answer's top-level <c>category_label</c> when it is a non-empty string; otherwise the
/// first top-level field, in the answer's order, whose name contains <c>label</c>, <c>category</c>, <c>class</c>
/// or <c>species</c> (any case) and whose value is a non-empty string; otherwise the image has no label.</item>
/// <item>Labels match when equal after trimming, collapsing inner whitespace and ignoring case (separate calls
/// may write "African elephant" and "african  elephant"); the group shows the first spelling seen.</item>
/// <item>Images with the same label form one group; an image without a label forms a group of its own; images
/// whose analysis failed are in no group.</item>
/// <item>Groups are ordered by their first image's index, and images inside a group by index.</item>
/// </list>
/// </summary>
public static class GeminiGrouping
{
    private static readonly string[] LabelLikeParts = ["label", "category", "class", "species"];

    /// <summary>The label of one answer, or null when it has none (see the class remarks for the rule).</summary>
    public static GroupLabel? FindLabel(JsonElement answer)
    {
        if (answer.ValueKind != JsonValueKind.Object) return null;
        if (answer.TryGetProperty(ResponseSchema.CategoryLabelField, out var category) && NonEmptyString(category) is { } preferred)
        {
            return new GroupLabel(ResponseSchema.CategoryLabelField, preferred);
        }

        foreach (var property in answer.EnumerateObject())
        {
            if (IsLabelLike(property.Name) && NonEmptyString(property.Value) is { } value)
            {
                return new GroupLabel(property.Name, value);
            }
        }
        return null;
    }

    /// <summary>The key two labels must share to be grouped together.</summary>
    public static string GroupKey(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return string.Join(' ', label.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();
    }

    /// <summary>Groups the successful results (see the class remarks for the rules).</summary>
    public static IReadOnlyList<GeminiImageGroup> Group(IEnumerable<GeminiImageResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var groups = new List<(string? Key, GroupLabel? Label, List<GeminiImageResult> Images)>();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var result in results.Where(r => r.Succeeded).OrderBy(r => r.Index))
        {
            if (result.Label is null)
            {
                groups.Add((null, null, [result]));
                continue;
            }

            var key = GroupKey(result.Label.Value);
            if (byKey.TryGetValue(key, out var at))
            {
                groups[at].Images.Add(result);
            }
            else
            {
                byKey[key] = groups.Count;
                groups.Add((key, result.Label with { Value = result.Label.Value.Trim() }, [result]));
            }
        }

        return groups.Select(g => new GeminiImageGroup(g.Label?.Value, g.Label?.Field, g.Images)).ToArray();
    }

    private static bool IsLabelLike(string name) =>
        LabelLikeParts.Any(part => name.Contains(part, StringComparison.OrdinalIgnoreCase));

    private static string? NonEmptyString(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString() : null;
}
