using System.Text.Json;
using Atlas.Application.Gemini.AnalyzeWithGemini;
using Atlas.Domain.Errors;

namespace Atlas.Application.Tests.Gemini;

[TestFixture]
public sealed class GeminiGroupingTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static GeminiImageResult Ok(int index, string answer)
    {
        var json = Json(answer);
        return new GeminiImageResult(index, $"img{index}.jpg", 10, "image/jpeg", TimeSpan.Zero)
        {
            Response = json,
            Label = GeminiGrouping.FindLabel(json),
        };
    }

    private static GeminiImageResult Failed(int index) =>
        new(index, $"img{index}.jpg", 10, "image/jpeg", TimeSpan.Zero) { Error = new UpstreamException("boom") };

    [Test]
    public void FindLabel_CategoryLabelPresent_WinsOverEarlierLabelLikeFields()
    {
        var label = GeminiGrouping.FindLabel(Json("""{"species":"loxodonta","category_label":"elephant"}"""));
        Assert.That(label, Is.EqualTo(new GroupLabel("category_label", "elephant")));
    }

    [TestCase("""{"recipe_name":"soup","animal_class":"mammal","label":"x"}""", "animal_class", "mammal")]
    [TestCase("""{"count":3,"Category":"bird"}""", "Category", "bird")]
    [TestCase("""{"category_label":"  ","speciesName":"red fox"}""", "speciesName", "red fox")]
    [TestCase("""{"labels":["a"],"primary_label":"deer"}""", "primary_label", "deer")]
    public void FindLabel_NoCategoryLabel_TakesFirstLabelLikeStringField(string answer, string field, string value)
    {
        Assert.That(GeminiGrouping.FindLabel(Json(answer)), Is.EqualTo(new GroupLabel(field, value)));
    }

    [TestCase("""{"recipe_name":"soup","steps":["boil"]}""")]
    [TestCase("""{"category_label":42}""")]
    [TestCase("""["category_label"]""")]
    [TestCase("\"elephant\"")]
    public void FindLabel_NoLabelLikeString_ReturnsNull(string answer)
    {
        Assert.That(GeminiGrouping.FindLabel(Json(answer)), Is.Null);
    }

    [Test]
    public void GroupKey_CaseAndSpacingDiffer_SameKey()
    {
        Assert.That(GeminiGrouping.GroupKey("  African   Elephant "), Is.EqualTo(GeminiGrouping.GroupKey("african elephant")));
        Assert.That(GeminiGrouping.GroupKey("african elephant"), Is.Not.EqualTo(GeminiGrouping.GroupKey("asian elephant")));
    }

    [Test]
    public void Group_SameLabels_GroupedInFirstAppearanceOrderWithIndexes()
    {
        var results = new[]
        {
            Ok(0, """{"category_label":"Red fox"}"""),
            Ok(1, """{"category_label":"elephant"}"""),
            Ok(2, """{"category_label":"red  FOX"}"""),
            Ok(3, """{"category_label":"elephant"}"""),
        };

        var groups = GeminiGrouping.Group(results);

        Assert.That(groups, Has.Count.EqualTo(2));
        Assert.That(groups[0].Label, Is.EqualTo("Red fox"));
        Assert.That(groups[0].LabelField, Is.EqualTo("category_label"));
        Assert.That(groups[0].Images.Select(i => i.Index), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(groups[0].Count, Is.EqualTo(2));
        Assert.That(groups[1].Label, Is.EqualTo("elephant"));
        Assert.That(groups[1].Images.Select(i => i.Index), Is.EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void Group_AnswersWithoutLabel_OneGroupPerImage()
    {
        var results = new[] { Ok(0, """{"recipe_name":"soup"}"""), Ok(1, """{"recipe_name":"soup"}""") };

        var groups = GeminiGrouping.Group(results);

        Assert.That(groups, Has.Count.EqualTo(2));
        Assert.That(groups.Select(g => g.Label), Is.All.Null);
        Assert.That(groups.Select(g => g.Images.Single().Index), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void Group_FailedImages_InNoGroup()
    {
        var results = new[] { Failed(0), Ok(1, """{"category_label":"deer"}"""), Failed(2) };

        var groups = GeminiGrouping.Group(results);

        Assert.That(groups, Has.Count.EqualTo(1));
        Assert.That(groups[0].Images.Select(i => i.Index), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void Group_ResultsOutOfOrder_OrderedByIndex()
    {
        var results = new[] { Ok(2, """{"category_label":"b"}"""), Ok(0, """{"category_label":"a"}"""), Ok(1, """{"category_label":"b"}""") };

        var groups = GeminiGrouping.Group(results);

        Assert.That(groups.Select(g => g.Label), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(groups[1].Images.Select(i => i.Index), Is.EqualTo(new[] { 1, 2 }));
    }
}
