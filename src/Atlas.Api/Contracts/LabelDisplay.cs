namespace Atlas.Api.Contracts;

internal static class LabelDisplay
{
    public static string For(string label) => label;
}
