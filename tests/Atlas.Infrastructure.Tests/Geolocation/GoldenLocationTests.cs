using System.Text.Json;
using Atlas.Domain.Geolocation;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Geolocation;

namespace Atlas.Infrastructure.Tests.Geolocation;

[TestFixture]
public sealed class GoldenLocationTests
{
    [Test]
    public void Resolve_GoldenPredictions_ReproducesEchoedLocation()
    {
        var path = SharedData.RequireFile("golden", "reference_predictions_v4.0.0a.json");
        using var golden = JsonDocument.Parse(File.ReadAllBytes(path));
        var resolver = new LocationResolver(new UsRegionLocator());
        var checkedCount = 0;
        foreach (var prediction in golden.RootElement.GetProperty("predictions").EnumerateArray())
        {
            var expected = new GeoLocation(
                Text(prediction, "country"), Text(prediction, "admin1_region"),
                Number(prediction, "latitude"), Number(prediction, "longitude"));
            if (expected == GeoLocation.None)
            {
                continue;
            }

            // The echoed admin1 is the reference's output; deriving it again from the rest must give it back.
            var resolved = resolver.Resolve(expected with { Admin1Region = null });

            Assert.That(resolved, Is.EqualTo(expected), prediction.GetProperty("filepath").GetString());
            checkedCount++;
        }

        Assert.That(checkedCount, Is.GreaterThan(0));
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.GetString() : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.GetDouble() : null;
}
