namespace Atlas.Domain.Gemini;

/// <summary>Token counts Gemini reports in <c>usageMetadata</c> (each null when not reported).</summary>
public sealed record GeminiUsage(int? PromptTokens, int? CandidatesTokens, int? ThoughtsTokens, int? TotalTokens)
{
    /// <summary>Field-wise sum; a count stays null only when neither side reported it.</summary>
    public GeminiUsage Add(GeminiUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Sum(PromptTokens, other.PromptTokens), Sum(CandidatesTokens, other.CandidatesTokens),
            Sum(ThoughtsTokens, other.ThoughtsTokens), Sum(TotalTokens, other.TotalTokens));
    }

    private static int? Sum(int? a, int? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}

/// <summary>
/// Gemini's answer to one call: the text of the first candidate (the JSON the schema asked for, unparsed: the
/// application parses and checks it so a bad answer is reported per image), why generation stopped, the token
/// usage and the exact model version that answered.
/// </summary>
public sealed record GeminiAnswer(string Text, string? FinishReason, GeminiUsage? Usage, string? ModelVersion);
