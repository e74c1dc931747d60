using Atlas.Application.Gemini.AnalyzeWithGemini;

namespace Atlas.Application.Tests.Gemini;

[TestFixture]
public sealed class ResponseSchemaTests
{
    [Test]
    public async Task DefaultAsync_RequiresCategoryLabelDescriptionConfidence()
    {
        var schema = await ResponseSchema.DefaultAsync();

        Assert.That(schema.IsDefault, Is.True);
        Assert.That(schema.Element.GetProperty("type").GetString(), Is.EqualTo("object"));
        Assert.That(schema.Element.GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "category_label", "description", "confidence" }));
        Assert.That(schema.Check("""{"category_label":"fox","description":"a fox","confidence":0.9}"""), Is.Empty);
    }

    [TestCase("""{"description":"a fox","confidence":0.9}""", "category_label")]
    [TestCase("""{"category_label":"fox","description":"a fox","confidence":1.5}""", "confidence")]
    [TestCase("""{"category_label":7,"description":"a fox","confidence":0.5}""", "category_label")]
    public async Task Check_AnswerBreaksDefaultSchema_NamesThePlace(string answer, string place)
    {
        var schema = await ResponseSchema.DefaultAsync();

        var violations = schema.Check(answer);

        Assert.That(violations, Is.Not.Empty);
        Assert.That(string.Join(" ", violations), Does.Contain(place));
    }

    [Test]
    public async Task ParseAsync_ObjectSchema_Accepted()
    {
        var schema = await ResponseSchema.ParseAsync("""{"type":"object","properties":{"recipe_name":{"type":"string"}}}""", CancellationToken.None);

        Assert.That(schema.IsDefault, Is.False);
        Assert.That(schema.Check("""{"recipe_name":"soup"}"""), Is.Empty);
        Assert.That(schema.Check("""{"recipe_name":3}"""), Is.Not.Empty);
    }

    [TestCase("{not json", "not valid JSON")]
    [TestCase("[1,2]", "not a JSON array")]
    [TestCase("\"object\"", "not a JSON string")]
    [TestCase("""{"type":"array","items":{"type":"string"}}""", "\"type\": \"object\"")]
    [TestCase("""{"properties":{"a":{"type":"string"}}}""", "\"type\": \"object\"")]
    [TestCase("""{"type":"object","properties":{"a":{"$ref":"https://example.com/s.json"}}}""", "local references")]
    public void ParseAsync_UnusableSchema_ThrowsNamingTheProblem(string json, string expected)
    {
        var ex = Assert.ThrowsAsync<ResponseSchemaException>(() => ResponseSchema.ParseAsync(json, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("schema_json").And.Contain(expected));
    }

    [Test]
    public async Task ParseAsync_LocalReference_Accepted()
    {
        var schema = await ResponseSchema.ParseAsync(
            """{"type":"object","$defs":{"name":{"type":"string"}},"properties":{"species":{"$ref":"#/$defs/name"}}}""", CancellationToken.None);

        Assert.That(schema.Check("""{"species":"fox"}"""), Is.Empty);
    }
}
