namespace Atlas.Domain.Taxonomy;

/// <summary>Reads label-per-line files (labels, taxonomy): whitespace stripped, 1-based line numbers for error messages.</summary>
internal static class LabelLines
{
    public static IEnumerable<(string Text, int LineNumber)> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            yield return (line.Trim(), number);
        }
    }

    public static IEnumerable<(string Text, int LineNumber)> Number(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            yield return ((line ?? "").Trim(), number);
        }
    }
}
