namespace Atlas.Api.Observability;

/// <summary>
/// The <c>endpoint</c> label of the HTTP metrics: the matched route's template with one leading slash and no trailing
/// one (<c>/</c>, <c>/uploadfile</c>, <c>/healthz</c>, <c>/livez</c>, <c>/metrics</c>), so a route is one series whether it
/// was called with or without the trailing slash, by GET or HEAD, and whether it answered normally or through the
/// exception handler (which clears the endpoint before the metrics read it: the template is captured right after
/// routing). Empty when no route matched (404).
/// </summary>
public static class EndpointLabel
{
    private static readonly object Key = new();

    /// <summary>Records the matched route's template on the request; call right after routing.</summary>
    public static void Capture(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Template(context) is { } template) context.Items[Key] = template;
    }

    /// <summary>The label value for a finished request.</summary>
    public static string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(Key, out var captured) && captured is string template ? template : Template(context) ?? string.Empty;
    }

    /// <summary>Normalises a route template: <c>healthz</c>, <c>/healthz</c> and <c>healthz/</c> are all <c>/healthz</c>.</summary>
    public static string Normalize(string rawTemplate)
    {
        ArgumentNullException.ThrowIfNull(rawTemplate);
        return "/" + rawTemplate.Trim('/');
    }

    private static string? Template(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } raw } ? Normalize(raw) : null;
}
