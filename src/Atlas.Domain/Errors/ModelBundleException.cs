namespace Atlas.Domain.Errors;

/// <summary>
/// A file of the SpeciesNet model bundle (labels, taxonomy, geofence, info.json) is missing, malformed or
/// inconsistent. The message names the file and, where it applies, the line and the offending value, so an
/// operator can fix the bundle. The service cannot classify without a valid bundle.
/// </summary>
public sealed class ModelBundleException(string message, Exception? inner = null) : AtlasException(message, inner)
{
    public override string Title => "Model bundle invalid";
}
