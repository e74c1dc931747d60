using Atlas.Domain.Errors;

namespace Atlas.Domain.Taxonomy;

/// <summary>
/// Parses the classifier labels file (spec 1.2): line i is the label of logit i, so order matters and every
/// line must be a valid 7-field label. Lines are whitespace-stripped like the reference loader does. Blank
/// lines at the very end (a trailing newline or two) are ignored; a blank line anywhere else is an error,
/// because skipping it would shift every later logit index.
/// </summary>
public static class ClassifierLabels
{
    /// <summary>Reads and parses a labels file from disk.</summary>
    public static IReadOnlyList<SpeciesLabel> Load(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>Parses a labels file; <paramref name="sourceName"/> (e.g. the file name) appears in error messages.</summary>
    public static IReadOnlyList<SpeciesLabel> Parse(TextReader reader, string sourceName) => Parse(LabelLines.Read(reader), sourceName);

    /// <summary>Parses labels given as lines; line 1 is logit index 0.</summary>
    public static IReadOnlyList<SpeciesLabel> Parse(IEnumerable<string> lines, string sourceName) => Parse(LabelLines.Number(lines), sourceName);

    private static SpeciesLabel[] Parse(IEnumerable<(string Text, int LineNumber)> lines, string sourceName)
    {
        var labels = new List<SpeciesLabel>();
        var pendingBlankLine = 0;
        foreach (var (text, number) in lines)
        {
            if (text.Length == 0)
            {
                if (pendingBlankLine == 0) pendingBlankLine = number;
                continue;
            }
            if (pendingBlankLine != 0)
            {
                throw new ModelBundleException(
                    $"{sourceName} line {pendingBlankLine}: empty line inside the labels file; every line up to the last label must hold one label (line i = logit index i-1).");
            }
            labels.Add(SpeciesLabel.Parse(text, $"{sourceName} line {number}"));
        }
        if (labels.Count == 0) throw new ModelBundleException($"{sourceName}: the labels file holds no labels.");
        return [.. labels];
    }
}
