using Atlas.Domain.Images;

namespace Atlas.Domain.Tests;

[TestFixture]
public sealed class ImageFormatSnifferTests
{
    [TestCase(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10 }, ImageFormat.Jpeg)]
    [TestCase(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D }, ImageFormat.Png)]
    [TestCase(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, ImageFormat.WebP)]
    [TestCase(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0 }, ImageFormat.Gif)]
    [TestCase(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x37, 0x61, 1, 0 }, ImageFormat.Gif)]
    [TestCase(new byte[] { 0x42, 0x4D, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, ImageFormat.Bmp)]
    [TestCase(new byte[] { 0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0 }, ImageFormat.Tiff)]
    [TestCase(new byte[] { 0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8 }, ImageFormat.Tiff)]
    [TestCase(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45 }, ImageFormat.Unknown)]
    [TestCase(new byte[] { 0x25, 0x50, 0x44, 0x46 }, ImageFormat.Unknown)]
    [TestCase(new byte[] { }, ImageFormat.Unknown)]
    [TestCase(new byte[] { 0xFF, 0xD8 }, ImageFormat.Unknown)]
    public void Detect_LeadingBytes_RecognisesFormat(byte[] header, ImageFormat expected)
    {
        Assert.That(ImageFormatSniffer.Detect(header), Is.EqualTo(expected));
    }

    [TestCase("image/jpeg", ImageFormat.Jpeg)]
    [TestCase("IMAGE/JPG", ImageFormat.Jpeg)]
    [TestCase("image/png; charset=binary", ImageFormat.Png)]
    [TestCase("image/x-ms-bmp", ImageFormat.Bmp)]
    [TestCase("image/tiff", ImageFormat.Tiff)]
    public void TryParseMediaType_ImageTypes_Parse(string mediaType, ImageFormat expected)
    {
        Assert.That(ImageFormatSniffer.TryParseMediaType(mediaType, out var format), Is.True);
        Assert.That(format, Is.EqualTo(expected));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("text/plain")]
    [TestCase("application/octet-stream")]
    [TestCase("image/heic")]
    [TestCase("image/svg+xml")]
    public void TryParseMediaType_NotAcceptedImageType_ReturnsFalse(string? mediaType)
    {
        Assert.That(ImageFormatSniffer.TryParseMediaType(mediaType, out _), Is.False);
    }

    [TestCase(null, true)]
    [TestCase(" ", true)]
    [TestCase("application/octet-stream", true)]
    [TestCase("APPLICATION/OCTET-STREAM; name=x", true)]
    [TestCase("binary/octet-stream", true)]
    [TestCase("image/jpeg", false)]
    [TestCase("text/plain", false)]
    public void IsGenericMediaType_SaysWhetherTheTypeNamesNothing(string? mediaType, bool expected)
    {
        Assert.That(ImageFormatSniffer.IsGenericMediaType(mediaType), Is.EqualTo(expected));
    }
}
