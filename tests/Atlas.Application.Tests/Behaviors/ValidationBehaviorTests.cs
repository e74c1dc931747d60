using Atlas.Application.Behaviors;
using Atlas.Application.Common;
using Atlas.Domain.Errors;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Moq;

namespace Atlas.Application.Tests.Behaviors;

[TestFixture]
public sealed class ValidationBehaviorTests
{
    public sealed record Ping(string Value) : ICommand<string>;

    private static ValidationBehavior<Ping, string> Behavior(params ValidationFailure[] failures)
    {
        var validator = new Mock<IValidator<Ping>>();
        validator.Setup(v => v.ValidateAsync(It.IsAny<IValidationContext>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ValidationResult(failures));
        return new ValidationBehavior<Ping, string>([validator.Object]);
    }

    private static ValueTask<string> Next(Ping message, CancellationToken cancellationToken) => ValueTask.FromResult("handled " + message.Value);

    [Test]
    public async Task Handle_NoFailures_CallsNext()
    {
        var result = await Behavior().Handle(new Ping("x"), Next, CancellationToken.None);
        Assert.That(result, Is.EqualTo("handled x"));
    }

    [Test]
    public void Handle_PlainFailures_ThrowRequestValidationKeyedByProperty()
    {
        var ex = Assert.ThrowsAsync<RequestValidationException>(async () =>
            await Behavior(new ValidationFailure("prompt", "prompt is required"), new ValidationFailure("file", "empty")).Handle(new Ping("x"), Next, CancellationToken.None));
        Assert.That(ex!.Errors.Keys, Is.EquivalentTo(new[] { "prompt", "file" }));
    }

    [Test]
    public void Handle_OnlySizeFailure_ThrowsPayloadTooLarge()
    {
        Assert.ThrowsAsync<PayloadTooLargeException>(async () =>
            await Behavior(new ValidationFailure("file", "too big") { ErrorCode = ErrorCodes.PayloadTooLarge }).Handle(new Ping("x"), Next, CancellationToken.None));
    }

    [Test]
    public void Handle_OnlyMediaTypeFailure_ThrowsUnsupportedMediaType()
    {
        var ex = Assert.ThrowsAsync<UnsupportedMediaTypeException>(async () =>
            await Behavior(new ValidationFailure("file", "not an image") { ErrorCode = ErrorCodes.UnsupportedMediaType }).Handle(new Ping("x"), Next, CancellationToken.None));
        Assert.That(ex!.Message, Is.EqualTo("not an image"));
    }

    [Test]
    public void Handle_MediaTypeAndPlainFailures_PlainValidationWins()
    {
        Assert.ThrowsAsync<RequestValidationException>(async () =>
            await Behavior(
                new ValidationFailure("file", "not an image") { ErrorCode = ErrorCodes.UnsupportedMediaType },
                new ValidationFailure("prompt", "required")).Handle(new Ping("x"), Next, CancellationToken.None));
    }
}
