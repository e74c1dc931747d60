using Atlas.Application.Predictions.Batch;
using Atlas.Domain.SpeciesNet;

namespace Atlas.Application.Tests.Predictions;

public sealed class BatchPlanTests
{
    private static BatchPlan Plan(GeoLocation defaults, Dictionary<string, GeoLocation> perImage) =>
        new(OutputFormat.SpeciesNet, AnalysisOptions.Default, defaults, perImage);

    [Test]
    public void LocationFor_NoEntry_Defaults()
    {
        var defaults = new GeoLocation("USA", "NY", 41.46, -73.84);
        Assert.That(Plan(defaults, []).LocationFor("a.jpg"), Is.EqualTo(defaults));
    }

    [Test]
    public void LocationFor_OwnCountry_DropsDefaultAdmin1_KeepsDefaultCoordinates()
    {
        var plan = Plan(new GeoLocation("USA", "NY", 41.46, -73.84), new() { ["a.jpg"] = new GeoLocation("KEN", null, null, null) });
        Assert.That(plan.LocationFor("a.jpg"), Is.EqualTo(new GeoLocation("KEN", null, 41.46, -73.84)));
    }

    [Test]
    public void LocationFor_OwnCoordinates_ReplaceThePair_KeepDefaultCountry()
    {
        var plan = Plan(new GeoLocation("USA", "NY", 41.46, -73.84), new() { ["a.jpg"] = new GeoLocation(null, null, 65, -150) });
        Assert.That(plan.LocationFor("a.jpg"), Is.EqualTo(new GeoLocation("USA", "NY", 65, -150)));
    }

    [TestCase(null, true)]
    [TestCase("", true)]
    [TestCase("speciesnet", true)]
    [TestCase("MegaDetector", true)]
    [TestCase("csv", true)]
    [TestCase("xml", false)]
    public void TryFormat(string? value, bool valid) => Assert.That(BatchSettings.TryFormat(value, out _), Is.EqualTo(valid));

    [TestCase("detector", ComponentMode.DetectorOnly)]
    [TestCase("classifier_only", ComponentMode.ClassifierOnly)]
    [TestCase("ensemble", ComponentMode.Full)]
    [TestCase(null, ComponentMode.Full)]
    public void TryMode(string? value, ComponentMode expected)
    {
        Assert.That(BatchSettings.TryMode(value, out var mode), Is.True);
        Assert.That(mode, Is.EqualTo(expected));
    }

    [TestCase("0", false)]
    [TestCase("101", false)]
    [TestCase("abc", false)]
    [TestCase("3", true)]
    public void TryInt_MaxClassificationsRange(string value, bool valid) => Assert.That(BatchSettings.TryInt(value, 5, out _), Is.EqualTo(valid));
}
