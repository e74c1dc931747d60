using System.Globalization;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Atlas.Api.Uploads;

/// <summary>
/// Binds a coordinate strictly: an invariant decimal number with a dot. MVC's default double binder accepts
/// thousands separators, so <c>latitude=4,1</c> became 41 and silently moved the photo by 37 degrees.
/// </summary>
public sealed class DecimalDegreesBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext bindingContext)
    {
        ArgumentNullException.ThrowIfNull(bindingContext);
        var value = bindingContext.ValueProvider.GetValue(bindingContext.ModelName);
        if (value == ValueProviderResult.None) return Task.CompletedTask;

        bindingContext.ModelState.SetModelValue(bindingContext.ModelName, value);
        var text = value.FirstValue;
        if (string.IsNullOrWhiteSpace(text))
        {
            bindingContext.Result = ModelBindingResult.Success(null);
        }
        else if (double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var degrees)
                 && double.IsFinite(degrees))
        {
            bindingContext.Result = ModelBindingResult.Success(degrees);
        }
        else
        {
            bindingContext.ModelState.TryAddModelError(bindingContext.ModelName,
                $"{bindingContext.ModelName} must be a decimal number of degrees written with a dot, such as 41.46 (got '{text}').");
        }
        return Task.CompletedTask;
    }
}
