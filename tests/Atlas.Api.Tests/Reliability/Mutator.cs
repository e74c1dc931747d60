namespace Atlas.Api.Tests.Reliability;

/// <summary>
/// A seeded byte mutator in the spirit of libFuzzer's: bit flips, "interesting" bytes and integers (0, -1, 0x7FFFFFFF,
/// sizes just over a power of two) written at random places, truncation, deletion, duplication and insertion of slices,
/// and splicing with another seed. The same seed always gives the same sequence of inputs, so a failure is reproducible
/// from (seed, iteration).
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x40];
    private static readonly uint[] InterestingInts = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF0, 65_500, 20_000];

    private readonly Random _random = new(seed);

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>One to four mutations of <paramref name="input"/>; <paramref name="other"/> is a splice partner.</summary>
    public byte[] Mutate(byte[] input, byte[]? other = null)
    {
        var data = new List<byte>(input);
        var count = 1 + _random.Next(4);
        for (var m = 0; m < count; m++)
        {
            if (data.Count == 0) data.Add((byte)_random.Next(256));
            var at = _random.Next(data.Count);
            switch (_random.Next(10))
            {
                case 0:
                    data[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    data[at] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                    break;
                case 2:
                {
                    var value = InterestingInts[_random.Next(InterestingInts.Length)];
                    var bigEndian = _random.Next(2) == 0;
                    var width = _random.Next(2) == 0 ? 2 : 4;
                    for (var i = 0; i < width && at + i < data.Count; i++)
                    {
                        var shift = bigEndian ? 8 * (width - 1 - i) : 8 * i;
                        data[at + i] = (byte)(value >> shift);
                    }
                    break;
                }
                case 3:
                    data.RemoveRange(at, data.Count - at); // truncate
                    break;
                case 4:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(64)));
                    break;
                case 5:
                {
                    var length = Math.Min(data.Count - at, 1 + _random.Next(256));
                    var slice = data.GetRange(at, length);
                    data.InsertRange(_random.Next(data.Count + 1), slice);
                    break;
                }
                case 6:
                {
                    var noise = new byte[1 + _random.Next(32)];
                    _random.NextBytes(noise);
                    data.InsertRange(at, noise);
                    break;
                }
                case 7:
                    data[at] = (byte)_random.Next(256);
                    break;
                case 8 when other is { Length: > 0 }:
                {
                    // Splice: our head, the partner's tail.
                    var from = _random.Next(other.Length);
                    data.RemoveRange(at, data.Count - at);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
                default:
                {
                    // Overwrite a run with one value (a zeroed or 0xFF-filled header region).
                    var value = _random.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                    for (var i = at; i < Math.Min(data.Count, at + 1 + _random.Next(16)); i++) data[i] = value;
                    break;
                }
            }
        }
        return [.. data];
    }
}
