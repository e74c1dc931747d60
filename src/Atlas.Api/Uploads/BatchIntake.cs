using System.Buffers;
using System.Text;
using System.Text.Json;
using Atlas.Api.Contracts.Batch;
using Atlas.Application.Common;
using Atlas.Application.Images;
using Atlas.Application.Predictions.Batch;
using Atlas.Domain.Errors;
using Atlas.Domain.SpeciesNet;
using Mediator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Uploads;

/// <summary>
/// Streams a <c>POST /v1/predictions</c> body with <see cref="MultipartReader"/>: the text fields (options, default
/// location, the <c>metadata</c> JSON part) must come first; then each file part is read into memory on its own,
/// predicted and released before the next is read, so memory holds one image at a time however many are sent.
/// The per-image results are spooled to a temporary file (<see cref="BatchResultSpool"/>) for the answer, in input order. The count and total size limits of
/// <see cref="BatchOptions"/> answer 413 as soon as they are crossed; a file over <see cref="UploadOptions.MaxFileBytes"/>
/// is skipped to its end and becomes that image's failure, not the batch's.
/// </summary>
public sealed class BatchIntake(IOptions<BatchOptions> batchOptions, IOptions<UploadOptions> uploadOptions)
{
    /// <summary>Largest text field (the metadata JSON may list thousands of files), in bytes.</summary>
    public const int MaxFieldBytes = 4 * 1024 * 1024;

    /// <summary>The form fields this route reads; any other text field is refused (nothing is silently dropped).</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(
        ["format", "mode", "classify_all_boxes", "max_classifications", "min_box_confidence", "country", "admin1_region", "latitude", "longitude", "metadata"],
        StringComparer.Ordinal);

    public async Task<(BatchPlan Plan, IBatchResultSource Results)> RunAsync(HttpRequest request, ISender sender, CancellationToken cancellationToken)
    {
        var limits = batchOptions.Value;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Length == 0)
        {
            throw new UnsupportedMediaTypeException("Send the images as multipart/form-data: one file part per image (field 'files'), optional text fields first.");
        }
        if (request.ContentLength > limits.MaxRequestBytes)
        {
            throw new PayloadTooLargeException($"The request body is {request.ContentLength:N0} bytes; /v1/predictions accepts at most {limits.MaxRequestBytes:N0} bytes (Batch:MaxRequestBytes).");
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxRequestBytes;
        }

        BatchPlan? plan = null;
        Dictionary<string, string> fields;
        // Results go to a temporary file as they are made; the response disposes (deletes) it after the answer.
        var results = BatchResultSpool.Create();
        request.HttpContext.Response.RegisterForDisposeAsync(results);
        try
        {
            (fields, _) = await MultipartFormStream.ReadAsync(request.Body, HeaderUtilities.RemoveQuotes(contentType.Boundary).ToString(), Fields, refuse: null, async (formFields, part) =>
            {
                plan ??= await sender.Send(Prepare(formFields), cancellationToken).ConfigureAwait(false);
                if (results.Count >= limits.MaxImages)
                {
                    throw new PayloadTooLargeException($"The request has more than {limits.MaxImages:N0} images, the most /v1/predictions accepts in one request (Batch:MaxImages); split the batch.");
                }

                var (bytes, length, tooLarge) = await ReadFileAsync(part.Body, uploadOptions.Value.MaxFileBytes, cancellationToken).ConfigureAwait(false);
                try
                {
                    var upload = new ImageUpload(part.Field, part.FileName, part.ContentType, bytes.AsMemory(0, tooLarge ? 0 : length));
                    var rejection = tooLarge
                        ? $"The file '{part.FileName}' is {length:N0} bytes; the limit per image is {uploadOptions.Value.MaxFileBytes:N0} bytes."
                        : null;
                    await results.AddAsync(await sender.Send(new PredictBatchImageCommand(upload, plan.LocationFor(part.FileName), plan.Options, rejection), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new PayloadTooLargeException($"The request body exceeds the /v1/predictions limit of {limits.MaxRequestBytes:N0} bytes (Batch:MaxRequestBytes); split the batch.");
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw Invalid("request", $"The multipart/form-data body could not be read ({ex.Message}).");
        }

        if (plan is null)
        {
            // Validate the options anyway, so a bad field is named even without files.
            await sender.Send(Prepare(fields), cancellationToken).ConfigureAwait(false);
            throw Invalid("files", "No images: send one or more file parts (e.g. curl -F files=@IMG_0001.JPG).");
        }
        return (plan, results);
    }

    /// <summary>
    /// The image's <c>filepath</c>: the file name as the client sent it, relative folders included (Timelapse matches
    /// MegaDetector <c>file</c> entries against paths under its root folder), with <c>\</c> turned into <c>/</c> and
    /// leading slashes dropped. It is only echoed, never used as a path on the server.
    /// </summary>
    public static string BatchFileName(string? fileName)
    {
        var name = (fileName ?? string.Empty).Replace('\\', '/').Trim().TrimStart('/');
        return name.Length == 0 ? "upload" : name;
    }

    internal static PrepareBatchCommand Prepare(IReadOnlyDictionary<string, string> fields)
    {
        var defaults = new GeoLocation(
            Text(fields, "country"),
            Text(fields, "admin1_region"),
            Degrees(fields, "latitude"),
            Degrees(fields, "longitude"));
        var perImage = fields.TryGetValue("metadata", out var metadata) && !string.IsNullOrWhiteSpace(metadata)
            ? ParseMetadata(metadata)
            : new Dictionary<string, GeoLocation>(StringComparer.Ordinal);
        return new PrepareBatchCommand(
            Text(fields, "format"), Text(fields, "mode"), Text(fields, "classify_all_boxes"),
            Text(fields, "max_classifications"), Text(fields, "min_box_confidence"), defaults, perImage);
    }

    private static string? Text(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static double? Degrees(IReadOnlyDictionary<string, string> fields, string name)
    {
        if (Text(fields, name) is not { } text) return null;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }
        throw Invalid(name, $"{name} must be a decimal number of degrees (e.g. 41.46), not '{text}'.");
    }

    /// <summary>
    /// The <c>metadata</c> part: a JSON object keyed by file name, each value an object with optional
    /// <c>country</c>, <c>admin1_region</c> (strings or null) and <c>latitude</c>, <c>longitude</c> (numbers or null).
    /// </summary>
    public static Dictionary<string, GeoLocation> ParseMetadata(string metadata)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(metadata);
        }
        catch (JsonException ex)
        {
            throw Invalid("metadata", $"metadata is not valid JSON ({ex.Message}); send an object keyed by file name, e.g. {{\"IMG_0001.JPG\": {{\"country\": \"USA\", \"latitude\": 41.46, \"longitude\": -73.84}}}}.");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("metadata", "metadata must be a JSON object keyed by file name.");
            }
            var result = new Dictionary<string, GeoLocation>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                var at = $"metadata[{entry.Name}]";
                if (entry.Value.ValueKind != JsonValueKind.Object) throw Invalid(at, $"{at} must be an object with country, admin1_region, latitude and/or longitude.");
                if (result.ContainsKey(entry.Name)) throw Invalid(at, $"{at} is given more than once.");
                string? country = null, admin1 = null;
                double? latitude = null, longitude = null;
                foreach (var property in entry.Value.EnumerateObject())
                {
                    var field = $"{at}.{property.Name}";
                    var value = property.Value;
                    switch (property.Name)
                    {
                        case "country":
                            country = StringValue(value, field);
                            break;
                        case "admin1_region":
                            admin1 = StringValue(value, field);
                            break;
                        case "latitude":
                            latitude = NumberValue(value, field);
                            break;
                        case "longitude":
                            longitude = NumberValue(value, field);
                            break;
                        default:
                            throw Invalid(field, $"Unknown metadata field '{property.Name}'; use country, admin1_region, latitude, longitude.");
                    }
                }
                result[entry.Name] = new GeoLocation(country, admin1, latitude, longitude);
            }
            return result;
        }
    }

    private static string? StringValue(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => string.IsNullOrWhiteSpace(value.GetString()) ? null : value.GetString()!.Trim(),
        _ => throw Invalid(field, $"{field} must be a string."),
    };

    private static double? NumberValue(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number => value.GetDouble(),
        _ => throw Invalid(field, $"{field} must be a number of decimal degrees."),
    };

    internal static async Task<string> ReadTextAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var (bytes, length, tooLarge) = await ReadFileAsync(body, MaxFieldBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            if (tooLarge) throw Invalid(name, $"The field '{name}' is longer than {MaxFieldBytes:N0} bytes.");
            return Encoding.UTF8.GetString(bytes, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// Reads one part into a pooled buffer (the caller returns it). Past <paramref name="limit"/> the rest of the
    /// part is read and discarded, so the next part can follow, and <c>TooLarge</c> is set with the full length.
    /// </summary>
    private static async Task<(byte[] Bytes, int Length, bool TooLarge)> ReadFileAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        long total = 0;
        var tooLarge = false;
        while (true)
        {
            if (!tooLarge && length == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Math.Max(limit + 1, buffer.Length + 1)));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            var read = tooLarge
                ? await body.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)
                : await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            total += read;
            if (!tooLarge)
            {
                length += read;
                if (length > limit) tooLarge = true;
            }
        }
        return (buffer, tooLarge ? (int)Math.Min(total, int.MaxValue) : length, tooLarge);
    }

    internal static RequestValidationException Invalid(string field, string message) =>
        new(new Dictionary<string, string[]>(StringComparer.Ordinal) { [string.IsNullOrEmpty(field) ? "request" : field] = [message] });
}
