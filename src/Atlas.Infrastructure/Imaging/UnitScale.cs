namespace Atlas.Infrastructure.Imaging;

/// <summary>
/// byte -> float32 model-input value. Both SpeciesNet models receive <c>uint8_array / 255</c> computed by
/// numpy in float64 and then cast to float32, so the table is built the same way.
/// </summary>
internal static class UnitScale
{
    public static readonly float[] Table = Build();

    private static float[] Build()
    {
        var table = new float[256];
        for (var i = 0; i < table.Length; i++) table[i] = (float)(i / 255.0);
        return table;
    }
}
