using Atlas.Application.Inference;
using Mediator;

namespace Atlas.Application.Behaviors;

/// <summary>
/// Innermost behaviour: use cases marked <see cref="IInferenceRequest"/> run only while holding an inference slot.
/// It sits after validation, so a slot is taken only by a request that will really run the models, and only for
/// the model work (never while the upload is still arriving).
/// </summary>
public sealed class InferenceGateBehavior<TMessage, TResponse>(IInferenceGate gate) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is not IInferenceRequest)
        {
            return await next(message, cancellationToken).ConfigureAwait(false);
        }
        using var slot = await gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        return await next(message, cancellationToken).ConfigureAwait(false);
    }
}
