using System.Globalization;
using System.Text;
using Atlas.Application.Predictions.Batch;

namespace Atlas.Api.Contracts.Batch;

/// <summary>
/// One CSV row per image (RFC 4180: CRLF line ends, a header row, fields quoted when they hold a comma, quote, CR or
/// LF, quotes doubled), in input order. Columns: file, prediction (7-field label), common_name, score, source,
/// detection_count, top_detection_label, top_detection_conf, top_detection_bbox (xmin ymin width height, space
/// separated), failures (space separated), location_source, error.
/// </summary>
public static class CsvWriter
{
    public static readonly string[] Header =
    [
        "file", "prediction", "common_name", "score", "source", "detection_count",
        "top_detection_label", "top_detection_conf", "top_detection_bbox", "failures", "location_source", "error",
    ];

    /// <summary>Writes the header and one row per result to <paramref name="output"/>, sending each ~32 KB as it fills.</summary>
    public static async Task WriteAsync(Stream output, IBatchResultSource results, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 32 * 1024, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var csv = new StringBuilder();
            Row(csv, [.. Header]);
            await foreach (var r in results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                AppendRow(csv, r);
                if (csv.Length >= 16 * 1024)
                {
                    await writer.WriteAsync(csv, cancellationToken).ConfigureAwait(false);
                    csv.Clear();
                }
            }
            await writer.WriteAsync(csv, cancellationToken).ConfigureAwait(false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void AppendRow(StringBuilder csv, BatchImageResult r)
    {
        {
            var p = r.Prediction;
            var top = p.Detections is { Count: > 0 } d ? d[0] : null;
            Row(csv,
            [
                r.FilePath,
                p.Prediction ?? string.Empty,
                p.Prediction is null ? string.Empty : MegaDetectorWriter.FriendlyName(p.Prediction),
                Number(p.PredictionScore),
                p.PredictionSource ?? string.Empty,
                p.Detections is null ? string.Empty : p.Detections.Count.ToString(CultureInfo.InvariantCulture),
                top?.Label ?? string.Empty,
                Number(top?.Conf),
                top is null ? string.Empty : string.Join(' ', top.Bbox.Select(v => Number(v))),
                string.Join(' ', p.Failures),
                r.LocationSource,
                r.Error ?? string.Empty,
            ]);
        }
    }

    private static string Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static void Row(StringBuilder csv, string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) csv.Append(',');
            var f = fields[i];
            if (f.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                csv.Append('"').Append(f.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                csv.Append(f);
            }
        }
        csv.Append("\r\n");
    }
}
