namespace Atlas.Application.Common;

/// <summary>
/// FluentValidation error codes that are not plain "400 invalid field" failures. The validation behaviour
/// turns a failure carrying one of these codes into the matching domain exception (and so HTTP status),
/// keeping every upload rule in one validator.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The file is not an image type Atlas accepts (HTTP 415).</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>The file or request is larger than allowed (HTTP 413).</summary>
    public const string PayloadTooLarge = "payload_too_large";
}
