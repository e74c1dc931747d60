using Atlas.Application.Common;
using Atlas.Domain.Errors;
using FluentValidation;
using FluentValidation.Results;
using Mediator;

namespace Atlas.Application.Behaviors;

/// <summary>
/// Runs every FluentValidation validator registered for the message before its handler.
/// Plain failures become a <see cref="RequestValidationException"/> (HTTP 400, errors keyed by field);
/// when every failure is a size failure the request is refused with 413, and when every failure is a
/// media-type failure with 415, so the status code says what the client must change.
/// </summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    private readonly IValidator<TMessage>[] _validators = validators.ToArray();

    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (_validators.Length == 0)
        {
            return await next(message, cancellationToken).ConfigureAwait(false);
        }

        var context = new ValidationContext<TMessage>(message);
        var failures = new List<ValidationFailure>();
        foreach (var validator in _validators)
        {
            var result = await validator.ValidateAsync(context, cancellationToken).ConfigureAwait(false);
            failures.AddRange(result.Errors);
        }

        if (failures.Count > 0)
        {
            ThrowFor(failures);
        }

        return await next(message, cancellationToken).ConfigureAwait(false);
    }

    private static void ThrowFor(List<ValidationFailure> failures)
    {
        if (failures.TrueForAll(f => f.ErrorCode == ErrorCodes.PayloadTooLarge))
        {
            throw new PayloadTooLargeException(failures[0].ErrorMessage);
        }

        if (failures.TrueForAll(f => f.ErrorCode is ErrorCodes.UnsupportedMediaType or ErrorCodes.PayloadTooLarge))
        {
            throw new UnsupportedMediaTypeException(failures.First(f => f.ErrorCode == ErrorCodes.UnsupportedMediaType).ErrorMessage);
        }

        var errors = failures
            .GroupBy(f => string.IsNullOrEmpty(f.PropertyName) ? "request" : f.PropertyName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        throw new RequestValidationException(errors);
    }
}
