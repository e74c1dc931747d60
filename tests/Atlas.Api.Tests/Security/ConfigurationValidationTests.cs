using Atlas.Api.Configuration;
using Atlas.Api.Security;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Atlas.Api.Tests.Security;

[TestFixture]
public sealed class ConfigurationValidationTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    private static IReadOnlyList<string> Problems(params (string Key, string Value)[] values) =>
        StartErrors.Problems(Configuration(values));

    private static T Bind<T>(string section, params (string Key, string Value)[] values)
        where T : new()
    {
        var configuration = Configuration(values);
        var options = new T();
        (section.Length == 0 ? configuration : configuration.GetSection(section)).Bind(options);
        return options;
    }

    [Test]
    public void NothingSet_UsesDefaults()
    {
        Assert.That(Problems(), Is.Empty);
        Assert.That(Bind<CorsPolicyOptions>(CorsPolicyOptions.SectionName).AllowAnyOrigin, Is.True);
        Assert.That(Bind<TrustedHostsOptions>(TrustedHostsOptions.SectionName).Hosts, Is.Empty);
        Assert.That(Bind<RateLimitOptions>(RateLimitOptions.SectionName).RateLimitRequests, Is.EqualTo(1200));
        Assert.That(Bind<ProxyOptions>(ProxyOptions.SectionName).ForceHttps, Is.False);
        Assert.That(Bind<ApiDocsOptions>(ApiDocsOptions.SectionName).EnableApiDocs, Is.False);
        Assert.That(Bind<ApiKeyOptions>(ApiKeyOptions.SectionName).ClientKeys.Enabled, Is.False);
    }

    [TestCase("Security:RateLimitRequests", "abc", "RATE_LIMIT_REQUESTS")]
    [TestCase("Security:RateLimitWindowSeconds", "0", "RATE_LIMIT_WINDOW_SECONDS")]
    [TestCase("Security:MaxConcurrentInferences", "-1", "MAX_CONCURRENT_INFERENCES")]
    [TestCase("Security:ForceHttps", "sometimes", "FORCE_HTTPS")]
    [TestCase("Security:EnableApiDocs", "enabled", "ENABLE_API_DOCS")]
    [TestCase("Security:AllowedOrigins", "ftp:/x", "ALLOWED_ORIGINS")]
    [TestCase("Security:AllowedOrigins", "https://app.example.org/path", "ALLOWED_ORIGINS")]
    [TestCase("Security:AllowedOrigins", "*,https://app.example.org", "ALLOWED_ORIGINS")]
    [TestCase("Security:AllowedHeaders", "X-API-Key, X Bad", "ALLOWED_HEADERS")]
    [TestCase("Security:AllowedHeaders", "*, X-API-Key", "ALLOWED_HEADERS")]
    [TestCase("AllowedHosts", "https://api.example.org", "ALLOWED_HOSTS")]
    [TestCase("Security:KnownProxies", "proxy.local", "KNOWN_PROXIES")]
    [TestCase("Security:ApiKeys", "short", "ATLAS_API_KEYS")]
    [TestCase("Security:ApiKeys", "/no/such/keys.txt", "ATLAS_API_KEYS")]
    public void BadValue_ProblemNamesTheVariable(string key, string value, string variable)
    {
        var problems = Problems((key, value));

        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith(variable));
    }

    [Test]
    public void BadOrigin_MessageQuotesTheValue()
    {
        var problems = Problems(("Security:AllowedOrigins", "https://ok.example.org, ftp:/x"));

        Assert.That(problems.Single(), Is.EqualTo("ALLOWED_ORIGINS (Security:AllowedOrigins) contains 'ftp:/x', which is not an http(s) origin (scheme://host[:port], no path)."));
    }

    [Test]
    public void ShortKey_MessageNeverContainsTheKey()
    {
        var problems = Problems(("Security:ApiKeys", "tiny-secret"));

        Assert.That(problems.Single(), Does.Not.Contain("tiny-secret"));
    }

    [TestCase("TRUE", true)]
    [TestCase("1", true)]
    [TestCase("yes", true)]
    [TestCase("off", false)]
    [TestCase("False", false)]
    public void BooleanSpellings_Accepted(string text, bool expected)
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new KeyValuePair<string, string?>("Security:ForceHttps", text)]);

        configuration.CheckAtlasSettings();

        Assert.That(configuration.GetSection(ProxyOptions.SectionName).Get<ProxyOptions>()!.ForceHttps, Is.EqualTo(expected));
    }

    [Test]
    public void OriginsAndProxies_Normalised()
    {
        var values = new[]
        {
            ("Security:AllowedOrigins", "https://App.Example.org, http://localhost:3000, https://*.example.net"),
            ("Security:KnownProxies", "10.0.0.1, 172.16.0.0/12"),
        };

        Assert.That(Problems(values), Is.Empty);
        var cors = Bind<CorsPolicyOptions>(CorsPolicyOptions.SectionName, values);
        Assert.That(cors.AllowAnyOrigin, Is.False);
        Assert.That(cors.Origins, Is.EqualTo(new[] { "https://app.example.org", "http://localhost:3000", "https://*.example.net" }));
        Assert.That(Bind<ProxyOptions>(ProxyOptions.SectionName, values).ProxyNetworks.Select(n => n.ToString()), Is.EqualTo(new[] { "10.0.0.1/32", "172.16.0.0/12" }));
    }

    [Test]
    public void KeysFromFile_SkipsCommentsAndBlankLines()
    {
        var path = Path.Combine(Path.GetTempPath(), $"atlas-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, ["# clients", SecurityKit.GoodKey, "", $"{SecurityKit.OtherKey}"]);
        try
        {
            Assert.That(Problems(("Security:ApiKeys", path)), Is.Empty);
            var keys = Bind<ApiKeyOptions>(ApiKeyOptions.SectionName, ("Security:ApiKeys", path)).ClientKeys;
            Assert.That(keys.Count, Is.EqualTo(2));
            Assert.That(keys.Contains(SecurityKit.OtherKey), Is.True);
            Assert.That(keys.Contains("# clients"), Is.False);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void SeveralMistakes_ReportsEach()
    {
        var problems = Problems(("Security:RateLimitRequests", "many"), ("Security:ForwardedHeaders", "maybe"));

        Assert.That(problems, Has.Count.EqualTo(2));
    }

    [TestCase("Security:RateLimitRequests", "ten", "RATE_LIMIT_REQUESTS")]
    [TestCase("Security:ForceHttps", "perhaps", "FORCE_HTTPS")]
    [TestCase("Security:AllowedOrigins", "ftp:/x", "ALLOWED_ORIGINS")]
    [TestCase("Observability:EnableMetrics", "sure", "ENABLE_METRICS")]
    [TestCase("Uploads:MaxFileBytes", "5MB", "MAX_UPLOAD_BYTES")]
    [TestCase("Gemini:BaseUrl", "ftp://example.org", "GEMINI_BASE_URL")]
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
