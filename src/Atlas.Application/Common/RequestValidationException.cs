namespace Atlas.Application.Common;

/// <summary>
/// Thrown by the validation pipeline behaviour when a command fails its FluentValidation rules.
/// <see cref="Errors"/> is keyed by the client-facing field name (the multipart form field, e.g. <c>file</c>),
/// so the API can answer with a ValidationProblemDetails a person can act on.
/// </summary>
public sealed class RequestValidationException : Exception
{
    public RequestValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base("One or more fields are invalid: " + string.Join("; ", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}"))))
    {
        Errors = errors;
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
