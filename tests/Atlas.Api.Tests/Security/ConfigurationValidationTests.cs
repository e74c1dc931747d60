using Atlas.Api.Security;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Atlas.Api.Tests.Security;

[TestFixture]
public sealed class ConfigurationValidationTests
{
    private static SecurityOptions Load(params (string Key, string Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var options = new SecurityOptions();
        options.Load(configuration);
        return options;
    }

    [Test]
    public void Load_NothingSet_UsesDefaults()
    {
        var options = Load();

        Assert.That(options.Errors, Is.Empty);
        Assert.That(options.AllowAnyOrigin, Is.True);
        Assert.That(options.AllowedHosts, Is.Empty);
        Assert.That(options.RateLimitRequests, Is.EqualTo(1200));
        Assert.That(options.ForceHttps, Is.False);
        Assert.That(options.EnableApiDocs, Is.False);
        Assert.That(options.ApiKeys.Enabled, Is.False);
    }

    [TestCase(SecurityOptions.RateLimitRequestsKey, "abc", "RATE_LIMIT_REQUESTS")]
    [TestCase(SecurityOptions.RateLimitWindowKey, "0", "RATE_LIMIT_WINDOW_SECONDS")]
    [TestCase(SecurityOptions.MaxConcurrentInferencesKey, "-1", "MAX_CONCURRENT_INFERENCES")]
    [TestCase(SecurityOptions.ForceHttpsKey, "sometimes", "FORCE_HTTPS")]
    [TestCase(SecurityOptions.EnableApiDocsKey, "enabled", "ENABLE_API_DOCS")]
    [TestCase(SecurityOptions.AllowedOriginsKey, "ftp:/x", "ALLOWED_ORIGINS")]
    [TestCase(SecurityOptions.AllowedOriginsKey, "https://app.example.org/path", "ALLOWED_ORIGINS")]
    [TestCase(SecurityOptions.AllowedOriginsKey, "*,https://app.example.org", "ALLOWED_ORIGINS")]
    [TestCase(SecurityOptions.AllowedHeadersKey, "X-API-Key, X Bad", "ALLOWED_HEADERS")]
    [TestCase(SecurityOptions.AllowedHeadersKey, "*, X-API-Key", "ALLOWED_HEADERS")]
    [TestCase(SecurityOptions.AllowedHostsKey, "https://api.example.org", "ALLOWED_HOSTS")]
    [TestCase(SecurityOptions.KnownProxiesKey, "proxy.local", "KNOWN_PROXIES")]
    [TestCase(SecurityOptions.ApiKeysKey, "short", "ATLAS_API_KEYS")]
    [TestCase(SecurityOptions.ApiKeysKey, "/no/such/keys.txt", "ATLAS_API_KEYS")]
    public void Load_BadValue_ErrorNamesTheVariable(string key, string value, string variable)
    {
        var options = Load((key, value));

        Assert.That(options.Errors, Has.Count.EqualTo(1));
        Assert.That(options.Errors[0], Does.StartWith(variable));
    }

    [Test]
    public void Load_BadOrigin_MessageQuotesTheValue()
    {
        var options = Load((SecurityOptions.AllowedOriginsKey, "https://ok.example.org, ftp:/x"));

        Assert.That(options.Errors.Single(), Is.EqualTo("ALLOWED_ORIGINS (Security:AllowedOrigins) contains 'ftp:/x', which is not an http(s) origin (scheme://host[:port], no path)."));
    }

    [Test]
    public void Load_ShortKey_MessageNeverContainsTheKey()
    {
        var options = Load((SecurityOptions.ApiKeysKey, "tiny-secret"));

        Assert.That(options.Errors.Single(), Does.Not.Contain("tiny-secret"));
    }

    [TestCase("TRUE", true)]
    [TestCase("1", true)]
    [TestCase("yes", true)]
    [TestCase("off", false)]
    [TestCase("False", false)]
    public void Load_BooleanSpellings_Accepted(string text, bool expected)
    {
        var options = Load((SecurityOptions.ForceHttpsKey, text));

        Assert.That(options.Errors, Is.Empty);
        Assert.That(options.ForceHttps, Is.EqualTo(expected));
    }

    [Test]
    public void Load_OriginsAndProxies_Normalised()
    {
        var options = Load(
            (SecurityOptions.AllowedOriginsKey, "https://App.Example.org, http://localhost:3000, https://*.example.net"),
            (SecurityOptions.KnownProxiesKey, "10.0.0.1, 172.16.0.0/12"));

        Assert.That(options.Errors, Is.Empty);
        Assert.That(options.AllowAnyOrigin, Is.False);
        Assert.That(options.AllowedOrigins, Is.EqualTo(new[] { "https://app.example.org", "http://localhost:3000", "https://*.example.net" }));
        Assert.That(options.KnownProxies.Select(n => n.ToString()), Is.EqualTo(new[] { "10.0.0.1/32", "172.16.0.0/12" }));
    }

    [Test]
    public void Load_KeysFromFile_SkipsCommentsAndBlankLines()
    {
        var path = Path.Combine(Path.GetTempPath(), $"atlas-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, ["# clients", SecurityKit.GoodKey, "", $"{SecurityKit.OtherKey}"]);
        try
        {
            var options = Load((SecurityOptions.ApiKeysKey, path));

            Assert.That(options.Errors, Is.Empty);
            Assert.That(options.ApiKeys.Count, Is.EqualTo(2));
            Assert.That(options.ApiKeys.Contains(SecurityKit.OtherKey), Is.True);
            Assert.That(options.ApiKeys.Contains("# clients"), Is.False);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_SeveralMistakes_ReportsEach()
    {
        var options = Load((SecurityOptions.RateLimitRequestsKey, "many"), (SecurityOptions.ForwardedHeadersKey, "maybe"));

        Assert.That(options.Errors, Has.Count.EqualTo(2));
    }

    [TestCase(SecurityOptions.RateLimitRequestsKey, "ten", "RATE_LIMIT_REQUESTS")]
    [TestCase(SecurityOptions.ForceHttpsKey, "perhaps", "FORCE_HTTPS")]
    [TestCase(SecurityOptions.AllowedOriginsKey, "ftp:/x", "ALLOWED_ORIGINS")]
    [TestCase("Observability:EnableMetrics", "sure", "ENABLE_METRICS")]
    public async Task Start_BadSetting_FailsNamingTheVariable(string key, string value, string variable)
    {
        await using var factory = new AtlasApiFactory(new Dictionary<string, string?> { [key] = value });

        var failure = Assert.Catch(() => factory.CreateHttpClient());

        var messages = string.Join(" | ", Flatten(failure));
        Assert.That(messages, Does.Contain(variable).And.Contain($"'{value}'"));
    }

    private static IEnumerable<string> Flatten(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e.Message;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten)) yield return inner;
            }
        }
    }
}
