namespace Atlas.Domain.Errors;

/// <summary>The addressed resource (e.g. a job) does not exist, or no longer does.</summary>
public sealed class ResourceNotFoundException(string message) : AtlasException(message)
{
    public override string Title => "Not found";
}

/// <summary>The request conflicts with the resource's current state (e.g. cancelling a finished job).</summary>
public sealed class ResourceConflictException(string message) : AtlasException(message)
{
    public override string Title => "Conflict";
}
