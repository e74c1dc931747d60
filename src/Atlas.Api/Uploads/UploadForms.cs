using Atlas.Application.Images;
using Atlas.Domain.SpeciesNet;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Uploads;

/// <summary>Form fields of <c>POST /uploadfile/</c>.</summary>
public class UploadFileForm
{
    /// <summary>The camera-trap image (JPEG, PNG, WebP, GIF, BMP or TIFF).</summary>
    [FromForm(Name = "file")]
    public IFormFile? File { get; set; }

    /// <summary>Optional ISO 3166-1 alpha-3 country code where the image was taken (enables geofencing).</summary>
    [FromForm(Name = "country")]
    public string? Country { get; set; }

    /// <summary>Optional first-level region (US state code such as NY); requires country.</summary>
    [FromForm(Name = "admin1_region")]
    public string? Admin1Region { get; set; }

    /// <summary>Optional latitude in decimal degrees (with longitude).</summary>
    [FromForm(Name = "latitude")]
    [ModelBinder(typeof(DecimalDegreesBinder))]
    public double? Latitude { get; set; }

    /// <summary>Optional longitude in decimal degrees (with latitude).</summary>
    [FromForm(Name = "longitude")]
    [ModelBinder(typeof(DecimalDegreesBinder))]
    public double? Longitude { get; set; }

    internal GeoLocation ToLocation() => new(Blank(Country), Blank(Admin1Region), Latitude, Longitude);

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>Form fields of <c>POST /analyze/</c>.</summary>
public sealed class AnalyzeForm : UploadFileForm
{
    /// <summary>The question or instructions to tie to this image's analysis.</summary>
    [FromForm(Name = "prompt")]
    public string? Prompt { get; set; }
}

internal static class FormFileExtensions
{
    /// <summary>
    /// Copies a form file into memory as an <see cref="ImageUpload"/>. The form is already buffered in memory
    /// by <see cref="FormIntakeFilter"/>, so this never touches disk.
    /// </summary>
    public static async Task<ImageUpload?> ToImageUploadAsync(this IFormFile? file, string fieldName, CancellationToken cancellationToken)
    {
        if (file is null) return null;
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        return new ImageUpload(fieldName, SafeFileName(file.FileName), string.IsNullOrWhiteSpace(file.ContentType) ? null : file.ContentType, bytes);
    }

    /// <summary>Keeps only the last path segment of the client's file name (no directories, no traversal).</summary>
    public static string SafeFileName(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName)) return "upload";
        var name = fileName.Replace('\\', '/');
        var slash = name.LastIndexOf('/');
        name = slash >= 0 ? name[(slash + 1)..] : name;
        return name.Length == 0 ? "upload" : name;
    }
}
