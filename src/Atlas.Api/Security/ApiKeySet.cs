using System.Security.Cryptography;
using System.Text;

namespace Atlas.Api.Security;

/// <summary>
/// The accepted API keys, held only as SHA-256 digests so the keys themselves never sit in memory dumps of the
/// options or in logs. <see cref="Contains"/> compares the digest of the presented key with every stored digest
/// using <see cref="CryptographicOperations.FixedTimeEquals"/> and never stops early, so the time taken says
/// nothing about which key, or how much of one, matched.
/// </summary>
public sealed class ApiKeySet
{
    /// <summary>Shortest accepted key: anything shorter is guessable.</summary>
    public const int MinLength = 16;

    /// <summary>Longest accepted key (header-sized).</summary>
    public const int MaxLength = 512;

    public static readonly ApiKeySet None = new([]);

    private readonly byte[][] _digests;

    private ApiKeySet(byte[][] digests) => _digests = digests;

    /// <summary>True when at least one key is configured (the routes it guards are then closed to anonymous callers).</summary>
    public bool Enabled => _digests.Length > 0;

    public int Count => _digests.Length;

    public static ApiKeySet From(IEnumerable<string> keys) =>
        new(keys.Distinct(StringComparer.Ordinal).Select(Digest).ToArray());

    /// <summary>Constant-time membership test.</summary>
    public bool Contains(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var digest = Digest(presented);
        var match = false;
        foreach (var stored in _digests)
        {
            match |= CryptographicOperations.FixedTimeEquals(stored, digest);
        }
        return match;
    }

    /// <summary>Why <paramref name="key"/> cannot be a key, or null when it can.</summary>
    public static string? Problem(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinLength) return $"contains a key of {key.Length} characters; keys need at least {MinLength}.";
        if (key.Length > MaxLength) return $"contains a key longer than {MaxLength} characters.";
        foreach (var c in key)
        {
            if (c is <= ' ' or > '~') return "contains a key with a space, control or non-ASCII character; keys must be printable ASCII.";
        }
        return null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
