using Newtonsoft.Json.Linq;
using NJsonSchema;
using NSwag;

namespace Atlas.Api.Security;

/// <summary>
/// The parts of the OpenAPI document that the batch routes cannot get from MVC's model: <c>/v1/predictions</c> reads
/// its multipart body itself (a bound parameter would make MVC buffer the whole body), and the batch routes and
/// <c>/v1/render</c> answer in formats chosen at run time (SpeciesNet or MegaDetector JSON, CSV, JPEG).
/// </summary>
internal static class BatchOpenApi
{
    private const string Csv = "text/csv";

    public static void Describe(OpenApiOperation operation, string path)
    {
        switch (path)
        {
            case "v1/predictions":
                operation.RequestBody = new OpenApiRequestBody { IsRequired = true };
                operation.RequestBody.Content["multipart/form-data"] = new OpenApiMediaType { Schema = PredictionsForm() };
                SetBatchResults(operation);
                break;
            case "v1/ensemble":
                SetBatchResults(operation);
                break;
            case "v1/jobs" when operation.OperationId == "submitJob":
                DescribeJobSubmission(operation);
                break;
            case "v1/jobs/{id}/results":
                SetBatchResults(operation);
                break;
            case "v1/render":
                if (operation.Responses.TryGetValue("200", out var ok))
                {
                    ok.Content.Clear();
                    ok.Content["image/jpeg"] = new OpenApiMediaType
                    {
                        Schema = new JsonSchema { Type = JsonObjectType.String, Format = JsonFormatStrings.Binary },
                    };
                    ok.Description = "The image (JPEG), EXIF orientation applied, with the boxes, labels and scores drawn.";
                }
                break;
        }
    }

    private static JsonSchema PredictionsForm()
    {
        var form = new JsonSchema { Type = JsonObjectType.Object };
        form.Properties["format"] = Text("Output format.", "speciesnet", "speciesnet", "megadetector", "csv");
        form.Properties["mode"] = Text("Component mode, as SpeciesNet's run_model: full (detector + classifier + ensemble), detector only, classifier only.",
            "full", "full", "ensemble", "detector", "classifier");
        form.Properties["country"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String, Pattern = "^[A-Za-z]{3}$", MinLength = 3, MaxLength = 3, Example = "KEN",
            Description = "Request-wide ISO 3166-1 alpha-3 country code (per-image metadata wins).",
        };
        form.Properties["admin1_region"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String, Pattern = "^[A-Za-z0-9]{1,3}$", Example = "NY",
            Description = "Request-wide first-level region (e.g. a US state); needs country.",
        };
        form.Properties["latitude"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Number, Minimum = -90, Maximum = 90, Example = 41.46,
            Description = "Request-wide latitude in decimal degrees; with longitude, derives country (and US state) offline.",
        };
        form.Properties["longitude"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Number, Minimum = -180, Maximum = 180, Example = -73.84,
            Description = "Request-wide longitude in decimal degrees.",
        };
        form.Properties["metadata"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String,
            Description = "JSON object keyed by file name with per-image country, admin1_region, latitude, longitude.",
            Example = """{"IMG_0001.JPG": {"country": "USA", "admin1_region": "NY", "latitude": 41.46, "longitude": -73.84}}""",
        };
        form.Properties["classify_all_boxes"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Boolean, Default = false,
            Description = "Classify every animal box and add per-box predictions (detection_predictions); mode=full only.",
        };
        form.Properties["max_classifications"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Integer, Minimum = 1, Maximum = 100, Default = 5,
            Description = "With classify_all_boxes: the most per-box predictions kept.",
        };
        form.Properties["min_box_confidence"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Number, Minimum = 0, Maximum = 1, Default = 0.2,
            Description = "With classify_all_boxes: the least detector confidence of a box to classify.",
        };
        form.Properties["files"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.Array, MinItems = 1,
            Item = new JsonSchema { Type = JsonObjectType.String, Format = JsonFormatStrings.Binary },
            Description = "The images, one file part each (after every text field); the file name becomes filepath. "
                + "At most BATCH_MAX_IMAGES images and BATCH_MAX_REQUEST_BYTES in all.",
        };
        form.RequiredProperties.Add("files");
        foreach (var (name, property) in form.Properties)
        {
            // Every text field is optional: generated clients must accept null for it.
            property.IsNullableRaw = name != "files";
        }

        return form;
    }

    /// <summary>
    /// POST /v1/jobs reads its body itself. The document gives the multipart form (the batch form less format, plus
    /// webhook_url, archives allowed), so generated clients get one clean upload method; the JSON paths body
    /// (<c>{"paths": [...]}</c> under JOBS_INPUT_ROOT) is described in the operation's text.
    /// </summary>
    private static void DescribeJobSubmission(OpenApiOperation operation)
    {
        var form = PredictionsForm();
        form.Properties.Remove("format");
        // A plain string here (values in the text): an enum would be a second generated Mode type and rename the batch one.
        form.Properties["mode"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String, IsNullableRaw = true, Default = "full", Example = "full",
            Description = "Component mode: full (default; also ensemble), detector or classifier.",
        };
        form.Properties["webhook_url"] = new JsonSchemaProperty
        {
            Type = JsonObjectType.String, Format = JsonFormatStrings.Uri, IsNullableRaw = true,
            Description = "Optional http(s) URL POSTed the job's final state when it completes (retried).",
        };
        form.Properties["files"].Description = "The images, one file part each (after every text field), or zip / tar / tar.gz archives "
            + "whose entries are the images (read from the stream, never unpacked in full). At most JOBS_MAX_IMAGES images.";

        operation.RequestBody = new OpenApiRequestBody { IsRequired = true };
        operation.RequestBody.Content["multipart/form-data"] = new OpenApiMediaType { Schema = form };
        if (operation.Responses.TryGetValue("202", out var accepted))
        {
            accepted.Description = "Accepted: the job (queued), with its URL in Location. A resubmission with the same Idempotency-Key answers the first job.";
        }
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "Idempotency-Key", Kind = OpenApiParameterKind.Header, IsRequired = false,
            Schema = new JsonSchema { Type = JsonObjectType.String, MaxLength = 255 },
            Description = "A resubmission with the same key answers the job the first one created (Idempotent-Replayed: true).",
        });
    }

    private static JsonSchemaProperty Text(string description, string example, params string[] values)
    {
        var property = new JsonSchemaProperty { Type = JsonObjectType.String, Description = description, Example = example, Default = values[0] };
        foreach (var value in values) property.Enumeration.Add(value);
        return property;
    }

    private static void SetBatchResults(OpenApiOperation operation)
    {
        if (!operation.Responses.TryGetValue("200", out var ok))
        {
            ok = new OpenApiResponse();
            operation.Responses["200"] = ok;
        }

        ok.Description = "One result per image, in input order: SpeciesNet predictions JSON (format=speciesnet), the MegaDetector "
            + "batch output format 1.6 (format=megadetector), or CSV (format=csv).";
        ok.Content.Clear();
        ok.Content["application/json"] = new OpenApiMediaType
        {
            Schema = new JsonSchema { Type = JsonObjectType.Object, AllowAdditionalProperties = true },
            Example = JObject.Parse("""
                {"predictions": [{"filepath": "IMG_0001.JPG", "country": "KEN",
                  "classifications": {"classes": ["55631055-3e0e-4b7a-9612-dedebe9f78b0;mammalia;proboscidea;elephantidae;loxodonta;africana;african elephant"], "scores": [0.9922]},
                  "detections": [{"category": "1", "label": "animal", "conf": 0.935, "bbox": [0.704, 0.477, 0.111, 0.125]}],
                  "prediction": "55631055-3e0e-4b7a-9612-dedebe9f78b0;mammalia;proboscidea;elephantidae;loxodonta;africana;african elephant",
                  "prediction_score": 0.9922, "prediction_source": "classifier", "model_version": "4.0.0a",
                  "location_source": "request", "width": 2048, "height": 1536}]}
                """),
        };
        ok.Content[Csv] = new OpenApiMediaType
        {
            Schema = new JsonSchema { Type = JsonObjectType.String },
            Example = "file,prediction,common_name,score,source,detection_count,top_detection_label,top_detection_conf,top_detection_bbox,failures,location_source,error\r\n"
                + "IMG_0001.JPG,55631055-3e0e-4b7a-9612-dedebe9f78b0;mammalia;proboscidea;elephantidae;loxodonta;africana;african elephant,african elephant,0.9922,classifier,1,animal,0.935,0.704 0.477 0.111 0.125,,request,\r\n",
        };
    }
}
