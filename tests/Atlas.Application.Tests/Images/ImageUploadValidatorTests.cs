using Atlas.Application.Common;
using Atlas.Application.Images;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Tests.Images;

[TestFixture]
public sealed class ImageUploadValidatorTests
{
    private static readonly byte[] JpegBytes = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46, 0, 1];
    private static readonly byte[] PngBytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D];

    private static ImageUploadValidator Validator(long maxBytes = 100) =>
        new(Options.Create(new UploadOptions { MaxFileBytes = maxBytes }));

    [Test]
    public void Validate_MatchingJpeg_Passes()
    {
        var result = Validator().Validate(new ImageUpload("file", "a.jpg", "image/jpeg", JpegBytes));
        Assert.That(result.IsValid, Is.True, result.ToString());
    }

    [Test]
    public void Validate_Empty_FailsAsPlainValidationKeyedByField()
    {
        var result = Validator().Validate(new ImageUpload("files[2]", "a.jpg", "image/jpeg", Array.Empty<byte>()));
        Assert.That(result.Errors, Has.Count.EqualTo(1));
        Assert.That(result.Errors[0].PropertyName, Is.EqualTo("files[2]"));
        Assert.That(result.Errors[0].ErrorCode, Is.Not.EqualTo(ErrorCodes.PayloadTooLarge).And.Not.EqualTo(ErrorCodes.UnsupportedMediaType));
    }

    [Test]
    public void Validate_OverLimit_FailsWithPayloadTooLarge()
    {
        var result = Validator(maxBytes: 8).Validate(new ImageUpload("file", "a.jpg", "image/jpeg", JpegBytes));
        Assert.That(result.Errors.Single().ErrorCode, Is.EqualTo(ErrorCodes.PayloadTooLarge));
    }

    [TestCase("text/plain")]
    [TestCase("application/json")]
    [TestCase("image/heic")]
    public void Validate_NonImageMediaType_FailsWithUnsupportedMediaType(string? contentType)
    {
        var result = Validator().Validate(new ImageUpload("file", "a.jpg", contentType, JpegBytes));
        Assert.That(result.Errors.Single().ErrorCode, Is.EqualTo(ErrorCodes.UnsupportedMediaType));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("application/octet-stream")]
    [TestCase("Binary/Octet-Stream; charset=binary")]
    public void Validate_GenericMediaTypeWithImageBytes_PassesOnTheMagicBytes(string? contentType)
    {
        Assert.That(Validator().Validate(new ImageUpload("file", "IMG_0001", contentType, JpegBytes)).IsValid, Is.True);
        Assert.That(Validator().Validate(new ImageUpload("file", "IMG_0002", contentType, PngBytes)).IsValid, Is.True);
    }

    [TestCase(null)]
    [TestCase("application/octet-stream")]
    public void Validate_GenericMediaTypeWithTextBytes_FailsWithUnsupportedMediaType(string? contentType)
    {
        var result = Validator().Validate(new ImageUpload("file", "IMG_0001", contentType, "hello world!"u8.ToArray()));
        Assert.That(result.Errors.Single().ErrorCode, Is.EqualTo(ErrorCodes.UnsupportedMediaType));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain("first bytes"));
    }

    [Test]
    public void Validate_DeclaredJpegButPng_FailsNamingTheRealType()
    {
        var result = Validator().Validate(new ImageUpload("file", "a.jpg", "image/jpeg", PngBytes));
        Assert.That(result.Errors.Single().ErrorCode, Is.EqualTo(ErrorCodes.UnsupportedMediaType));
        Assert.That(result.Errors[0].ErrorMessage, Does.Contain("image/png"));
    }

    [Test]
    public void Validate_NotAnImage_FailsWithUnsupportedMediaType()
    {
        var result = Validator().Validate(new ImageUpload("file", "a.jpg", "image/jpeg", "hello world!"u8.ToArray()));
        Assert.That(result.Errors.Single().ErrorCode, Is.EqualTo(ErrorCodes.UnsupportedMediaType));
    }

    [TestCase("bad\uFFFDname.jpg")]
    [TestCase("new\nline.jpg")]
    public void Validate_UnreadableFileName_Fails(string name)
    {
        var result = Validator().Validate(new ImageUpload("file", name, "image/jpeg", JpegBytes));
        Assert.That(result.Errors.Single().ErrorMessage, Does.Contain("file name"));
    }
}
