using Atlas.Domain.Errors;
using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests.Taxonomy;

public sealed class ClassifierLabelsTests
{
    [Test]
    public void Parse_Lines_KeepsOrderAndStripsWhitespace()
    {
        var text = $"  {TestTaxonomy.Lion}  \r\n{SpecialLabels.Blank}\t\n{TestTaxonomy.Wolf}\n\n";

        var labels = ClassifierLabels.Parse(new StringReader(text), "labels.txt");

        Assert.That(labels.Select(l => l.Raw), Is.EqualTo(new[] { TestTaxonomy.Lion, SpecialLabels.Blank, TestTaxonomy.Wolf }));
    }

    [Test]
    public void Parse_BadLine_ThrowsNamingFileAndLine()
    {
        string[] lines = [TestTaxonomy.Lion, TestTaxonomy.Wolf, "u;mammalia;carnivora"];

        var ex = Assert.Throws<ModelBundleException>(() => ClassifierLabels.Parse(lines, "labels.txt"));

        Assert.That(ex!.Message, Does.StartWith("labels.txt line 3:").And.Contain("'u;mammalia;carnivora'"));
    }

    [Test]
    public void Parse_BlankLineBeforeLastLabel_Throws()
    {
        string[] lines = [TestTaxonomy.Lion, "   ", TestTaxonomy.Wolf];

        var ex = Assert.Throws<ModelBundleException>(() => ClassifierLabels.Parse(lines, "labels.txt"));

        Assert.That(ex!.Message, Does.StartWith("labels.txt line 2:"));
    }

    [Test]
    public void Parse_NoLabels_Throws() =>
        Assert.Throws<ModelBundleException>(() => ClassifierLabels.Parse(new StringReader("\n\n"), "labels.txt"));

    [Test]
    public void Load_SharedLabelsFile_Reads2498Labels()
    {
        var path = Atlas.TestSupport.SharedData.RequireFile("labels_v4.0.0a_by_frequency.txt");

        var labels = ClassifierLabels.Load(path);

        Assert.Multiple(() =>
        {
            Assert.That(labels, Has.Count.EqualTo(2498));
            Assert.That(labels[0], Is.EqualTo(SpeciesLabel.Blank));
            Assert.That(labels, Does.Contain(SpeciesLabel.Human).And.Contain(SpeciesLabel.Vehicle));
        });
    }
}
