using Atlas.Domain.Images;
using Atlas.Application.Common;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;

namespace Atlas.Application.Images;

/// <summary>
/// The intake rules every uploaded image passes, on every route, checked in this order (first failure wins):
/// not empty (400), not over the size limit (413), a readable file name (400), an image media type or a generic one
/// (<c>application/octet-stream</c>, none) (415), magic bytes of a supported format (415) that agree with the declared
/// image type (415). Failures are keyed by the
/// upload's own form field name (<c>file</c>, <c>files[2]</c>…).
/// </summary>
public sealed class ImageUploadValidator : AbstractValidator<ImageUpload>
{
    public ImageUploadValidator(IOptions<UploadOptions> options)
    {
        var limits = options.Value;
        RuleFor(u => u).Custom((u, context) =>
        {
            var failure = Check(u, limits);
            if (failure is not null) context.AddFailure(failure);
        });
    }

    private static ValidationFailure? Check(ImageUpload u, UploadOptions limits)
    {
        if (u.Length == 0)
        {
            return new ValidationFailure(u.FieldName, $"The uploaded file '{u.FileName}' is empty.");
        }

        if (u.Length > limits.MaxFileBytes)
        {
            return new ValidationFailure(u.FieldName, $"The uploaded file '{u.FileName}' is {u.Length:N0} bytes; the file limit is {ByteSize.Describe(limits.MaxFileBytes)}.")
            {
                ErrorCode = ErrorCodes.PayloadTooLarge,
            };
        }

        if (u.FileName.Length > limits.MaxFileNameLength || u.FileName.Any(c => char.IsControl(c) || c == '\uFFFD'))
        {
            return new ValidationFailure(u.FieldName, $"The file name must be valid UTF-8 text of at most {limits.MaxFileNameLength} characters without control characters.");
        }

        // A generic or missing type (curl's default for .webp/.bmp/.tif, Python requests, a file without an
        // extension) says nothing about the content: the magic bytes decide. A specific type must be an image type.
        var generic = ImageFormatSniffer.IsGenericMediaType(u.ContentType);
        var declared = ImageFormat.Unknown;
        if (!generic && !ImageFormatSniffer.TryParseMediaType(u.ContentType, out declared))
        {
            return Unsupported(u, $"The file '{u.FileName}' was sent as '{u.ContentType}'; send it as an image (JPEG, PNG, WebP, GIF, BMP or TIFF) with a matching image/* content type, or as application/octet-stream.");
        }

        var detected = u.DetectedFormat;
        if (detected == ImageFormat.Unknown)
        {
            return Unsupported(u, $"The content of '{u.FileName}' is not a JPEG, PNG, WebP, GIF, BMP or TIFF image (its first bytes match none of these formats).");
        }

        if (!generic && declared != detected)
        {
            return Unsupported(u, $"The file '{u.FileName}' was declared as '{u.ContentType}' but its content is {detected.ToString().ToUpperInvariant()}; send it with content type '{ImageFormatSniffer.MediaTypeOf(detected)}'.");
        }

        return null;
    }

    private static ValidationFailure Unsupported(ImageUpload u, string message) =>
        new(u.FieldName, message) { ErrorCode = ErrorCodes.UnsupportedMediaType };
}
