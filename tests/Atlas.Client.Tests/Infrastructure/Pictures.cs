namespace Atlas.Client.Tests.Infrastructure;

/// <summary>Uploads for the generated SDK; the pictures themselves come from <see cref="TestImages"/>.</summary>
internal static class Pictures
{
    public static FileParameter File(byte[] bytes, string name, string contentType) => new(new MemoryStream(bytes), name, contentType);
}
