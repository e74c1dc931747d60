using Atlas.Domain.Errors;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Atlas.Infrastructure.Tests.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>
/// Every way a bundle folder can be wrong stops loading with a <see cref="ModelBundleException"/> whose message
/// names the offending file and the problem (issue 3). File-level problems are caught by
/// <see cref="ModelBundle.LoadDirectory"/>, tensor-contract problems by the <see cref="SpeciesNetEngine"/> constructor.
/// </summary>
[TestFixture]
public sealed class ModelBundleValidationTests
{
    private static string LoadError(Action<Dictionary<string, byte[]?>> edit)
    {
        using var bundle = TestBundle.FromDemo(edit);
        var ex = Assert.Throws<ModelBundleException>(() => ModelBundle.LoadDirectory(bundle.Directory));
        return ex!.Message;
    }

    private static string EngineError(Action<Dictionary<string, byte[]?>> edit)
    {
        using var bundle = TestBundle.FromDemo(edit);
        var loaded = ModelBundle.LoadDirectory(bundle.Directory);
        var ex = Assert.Throws<ModelBundleException>(() =>
        {
            using var engine = new SpeciesNetEngine(loaded, OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance);
        });
        return ex!.Message;
    }

    [Test]
    public void LoadDirectory_DemoBundleOnDisk_Loads()
    {
        using var bundle = TestBundle.FromDemo();

        var loaded = ModelBundle.LoadDirectory(bundle.Directory);

        Assert.That(loaded.Version, Is.EqualTo(DemoBundle.Version));
        Assert.That(loaded.Labels, Has.Count.EqualTo(DemoLabels.Classifier.Count));
        Assert.That(loaded.IsDemo, Is.True, "the written demo bundle says so in its info.json");
    }

    [Test]
    public void LoadDirectory_InfoJsonWithoutDemoField_IsNotDemo()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(version: "4.0.1a-onnx"));

        Assert.That(ModelBundle.LoadDirectory(bundle.Directory).IsDemo, Is.False);
    }

    [TestCase("\"yes\"")]
    [TestCase("1")]
    [TestCase("null")]
    public void LoadDirectory_DemoFieldNotBoolean_NamesTheField(string value)
    {
        var info = System.Text.Encoding.UTF8.GetString(TestBundle.InfoJson()).Replace("{", "{\"demo\":" + value + ",", StringComparison.Ordinal);

        var message = LoadError(files => files[DemoBundle.InfoFile] = TestBundle.Utf8(info));

        Assert.That(message, Does.Contain("info.json 'demo' must be true or false"));
    }

    [Test]
    public void LoadDirectory_FolderMissing_NamesFolder()
    {
        var missing = Path.Combine(Path.GetTempPath(), "atlas-no-such-bundle-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<ModelBundleException>(() => ModelBundle.LoadDirectory(missing));

        Assert.That(ex!.Message, Does.Contain(missing).And.Contain("does not exist"));
    }

    [Test]
    public void LoadDirectory_InfoJsonMissing_SaysInfoJsonIsMissing()
    {
        var message = LoadError(files => files[DemoBundle.InfoFile] = null);

        Assert.That(message, Does.Contain("info.json").And.Contain("missing"));
        Assert.That(message, Does.Not.Contain("named in info.json"), "info.json cannot be named by itself");
    }

    [Test]
    public void LoadDirectory_ClassifierFileMissing_NamesFile()
    {
        var message = LoadError(files => files[DemoBundle.ClassifierFile] = null);

        Assert.That(message, Does.Contain("'classifier.onnx'").And.Contain("missing"));
    }

    [Test]
    public void LoadDirectory_DetectorIsUrl_SaysUrlsAreNotDownloaded()
    {
        var message = LoadError(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(detector: "https://github.com/agentmorris/MegaDetector/releases/download/v5.0/md_v5a.0.0.pt"));

        Assert.That(message, Does.Contain("'detector' is a URL").And.Contain("tools/convert"));
    }

    [Test]
    public void LoadDirectory_PyTorchClassifier_SaysNotOnnx()
    {
        var message = LoadError(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(classifier: "always_crop_99710272_22x8_v12_epoch_00148.pt"));

        Assert.That(message, Does.Contain("always_crop_99710272_22x8_v12_epoch_00148.pt").And.Contain("not an ONNX file"));
    }

    [Test]
    public void LoadDirectory_LabelWithSixFields_NamesFileLineAndFieldCount()
    {
        var message = LoadError(files => files[DemoBundle.LabelsFile] = TestBundle.Utf8(
            DemoLabels.Lion + "\n" + "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;blank\n"));

        Assert.That(message, Does.Contain("labels.txt line 2").And.Contain("has 6 ';'-separated fields"));
    }

    [Test]
    public void LoadDirectory_GeofenceNotJson_NamesFile()
    {
        var message = LoadError(files => files[DemoBundle.GeofenceFile] = TestBundle.Utf8("{ \"mammalia;carnivora;felidae;panthera;leo\": {\"block\": "));

        Assert.That(message, Does.Contain("geofence.json").And.Contain("not valid JSON"));
    }

    [Test]
    public void LoadDirectory_UnknownType_ListsExpectedTypes()
    {
        var message = LoadError(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(type: "multi_crop"));

        Assert.That(message, Does.Contain("info.json 'type' is 'multi_crop'").And.Contain("always_crop").And.Contain("full_image"));
    }

    [Test]
    public void LoadDirectory_PathOutsideBundle_Refused()
    {
        var message = LoadError(files => files[DemoBundle.InfoFile] = TestBundle.InfoJson(taxonomy: "../taxonomy.txt"));

        Assert.That(message, Does.Contain("'taxonomy'").And.Contain("relative to the bundle folder"));
    }

    [Test]
    public void Engine_ClassifierWidthDiffersFromLabels_NamesClassifierAndCounts()
    {
        // 12 labels for a 13-logit classifier.
        var message = EngineError(files => files[DemoBundle.LabelsFile] = TestBundle.Utf8(string.Join('\n', DemoLabels.Classifier.Take(12)) + "\n"));

        Assert.That(message, Does.Contain("classifier.onnx").And.Contain("13 logits").And.Contain("12 labels"));
    }

    [Test]
    public void Engine_NchwClassifier_SaysNhwcExpected()
    {
        var message = EngineError(files => files[DemoBundle.ClassifierFile] = TestModels.NchwClassifier(DemoLabels.Classifier.Count));

        Assert.That(message, Does.Contain("classifier.onnx").And.Contain("looks NCHW").And.Contain("NHWC"));
    }

    [Test]
    public void Engine_DetectorWithSevenColumns_NamesDetectorAndColumns()
    {
        var message = EngineError(files => files[DemoBundle.DetectorFile] = TestModels.DetectorWithSevenColumns());

        Assert.That(message, Does.Contain("detector.onnx").And.Contain("7 columns").And.Contain("expected 8"));
    }

    [Test]
    public void Engine_ModelBytesNotOnnx_NamesFile()
    {
        var message = EngineError(files => files[DemoBundle.DetectorFile] = TestBundle.Utf8("this is not a protobuf"));

        Assert.That(message, Does.Contain("detector.onnx"));
    }

    /// <summary>A model file cut short (an interrupted copy or download) or empty never loads into a session.</summary>
    [TestCase(DemoBundle.ClassifierFile, 0.5)]
    [TestCase(DemoBundle.ClassifierFile, 0.9)]
    [TestCase(DemoBundle.DetectorFile, 0.5)]
    [TestCase(DemoBundle.DetectorFile, 0.0)]
    public void Engine_ModelFileTruncated_RefusedNamingFile(string file, double keep)
    {
        var message = EngineError(files => files[file] = files[file]![..(int)(files[file]!.Length * keep)]);

        Assert.That(message, Does.Contain(file));
    }

    /// <summary>A labels file cut mid-line leaves fewer (or broken) labels than logits: refused, never shifted predictions.</summary>
    [Test]
    public void LabelsFileCutMidLine_RefusedNotMisaligned()
    {
        using var bundle = TestBundle.FromDemo(files =>
        {
            var text = string.Join('\n', DemoLabels.Classifier) + "\n";
            files[DemoBundle.LabelsFile] = TestBundle.Utf8(text[..(text.Length * 2 / 3)]);
        });

        var ex = Assert.Throws<ModelBundleException>(() =>
        {
            var loaded = ModelBundle.LoadDirectory(bundle.Directory);
            using var engine = new SpeciesNetEngine(loaded, OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance);
        });

        Assert.That(ex!.Message, Does.Contain(DemoBundle.LabelsFile).Or.Contain("labels"));
    }

    [Test]
    public void Engine_DynamicWidthClassifierWithWrongLabels_RefusedAtLoadNamingBothCounts()
    {
        // A dynamic output width is only known after a run: the engine runs the classifier once while loading.
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.ClassifierFile] =
            TestModels.ColourClassifier(20, new Dictionary<int, (float, float, float)>(), dynamicWidth: true));
        var loaded = ModelBundle.LoadDirectory(bundle.Directory);

        var ex = Assert.Throws<ModelBundleException>(() =>
            new SpeciesNetEngine(loaded, OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance).Dispose());

        Assert.That(ex!.Message, Does.Contain("classifier.onnx").And.Contain("[1, 20]").And.Contain("[1, 13]"));
    }
}

[TestFixture]
public sealed class ModelBundleTextEncodingTests
{
    private static byte[] WindowsStyle(byte[] utf8) =>
        [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(utf8).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal))];

    [Test]
    public void LoadDirectory_BomAndCrlfTextFiles_LoadLikeTheOriginals()
    {
        var original = ModelBundle.LoadFiles(DemoBundle.CreateFiles(), "demo", isDemo: false);
        using var bundle = TestBundle.FromDemo(files =>
        {
            foreach (var name in new[] { DemoBundle.InfoFile, DemoBundle.LabelsFile, DemoBundle.TaxonomyFile, DemoBundle.GeofenceFile })
            {
                files[name] = WindowsStyle(files[name]!);
            }
        });

        var loaded = ModelBundle.LoadDirectory(bundle.Directory);

        Assert.That(loaded.Version, Is.EqualTo(original.Version));
        Assert.That(loaded.Labels.Select(l => l.Raw), Is.EqualTo(original.Labels.Select(l => l.Raw)));
        Assert.That(loaded.Taxonomy.Count, Is.EqualTo(original.Taxonomy.Count));
        Assert.That(loaded.Geofence.Count, Is.EqualTo(original.Geofence.Count));
    }
}
