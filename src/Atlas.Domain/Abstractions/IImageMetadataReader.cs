using Atlas.Domain.SpeciesNet;

namespace Atlas.Domain.Abstractions;

/// <summary>
/// Reads what camera-trap tools need from an image's embedded metadata (EXIF): GPS position, capture time and
/// the camera's make, model and serial number. Implemented in Infrastructure; never throws on bad metadata
/// (a corrupt or missing block yields <see cref="ImageMetadata.None"/> or the parts that could be read).
/// </summary>
public interface IImageMetadataReader
{
    ImageMetadata Read(ReadOnlyMemory<byte> image);
}
