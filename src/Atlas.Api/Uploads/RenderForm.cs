using Atlas.Domain.Rendering;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Uploads;

/// <summary>Form fields of <c>POST /v1/render</c>: those of <c>/uploadfile/</c> plus drawing options.</summary>
public sealed class RenderForm : UploadFileForm
{
    /// <summary>Blur human and vehicle boxes (privacy). Default false.</summary>
    [FromForm(Name = "blur_people")]
    public bool BlurPeople { get; set; }

    /// <summary>Draw boxes at or above this detector confidence, 0..1. Default 0.2.</summary>
    [FromForm(Name = "min_conf")]
    public double? MinConfidence { get; set; }

    /// <summary>JPEG quality 1..100. Default 85.</summary>
    [FromForm(Name = "quality")]
    public int? Quality { get; set; }

    /// <summary>Scale the answer so that its longer side is at most this many pixels (16..8192). Default: original size.</summary>
    [FromForm(Name = "max_size")]
    public int? MaxSize { get; set; }

    internal RenderOptions ToOptions() => new(MinConfidence ?? 0.2, BlurPeople, Quality ?? 85, MaxSize);
}
