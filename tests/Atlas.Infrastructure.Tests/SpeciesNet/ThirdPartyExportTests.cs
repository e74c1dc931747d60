using System.Globalization;
using Atlas.Domain.SpeciesNet;
using Atlas.Infrastructure.Imaging;
using Atlas.Infrastructure.Models.Demo;
using Atlas.Infrastructure.SpeciesNet;
using Atlas.Infrastructure.Tests.Onnx;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace Atlas.Infrastructure.Tests.SpeciesNet;

/// <summary>Valid exports that differ from Atlas's own: fixed batch above 1, weights in an external .data file.</summary>
[TestFixture]
public sealed class ThirdPartyExportTests
{
    private static byte[] RedSquareOnGrey() =>
        TestImages.WithRect(1280, 960, DemoColours.Grey.Rgb(), DemoColours.Red.Rgb(), new SKRectI(256, 224, 384, 352));

    private static SpeciesNetPrediction Predict(TestBundle bundle)
    {
        using var engine = new SpeciesNetEngine(ModelBundle.LoadDirectory(bundle.Directory), OnnxTestHelpers.CpuFactory(), new ImageDecoder(), true, new NoInferenceMetrics(), NullLogger.Instance);
        engine.WarmUp();
        return engine.Predict(RedSquareOnGrey(), GeoLocation.None, CancellationToken.None);
    }

    private static SpeciesNetPrediction Reference()
    {
        using var bundle = TestBundle.FromDemo();
        return Predict(bundle);
    }

    [Test]
    public void Classifier_FixedBatchOf8_ClassifiesLikeADynamicOne()
    {
        using var bundle = TestBundle.FromDemo(files => files[DemoBundle.ClassifierFile] = TestModels.WithOutputShape(
            TestModels.WithInputShape(DemoClassifierModel.Build(), 8, 480, 480, 3), 8, DemoLabels.Classifier.Count));

        var prediction = Predict(bundle);
        var reference = Reference();

        Assert.That(prediction.Failures, Is.Empty);
        Assert.That(prediction.Prediction, Is.EqualTo(reference.Prediction));
        Assert.That(prediction.Classifications!.Scores, Is.EqualTo(reference.Classifications!.Scores));
    }

    [Test]
    public void Classifier_WeightsInExternalDataFile_LoadsFromTheBundleFolder()
    {
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(DemoClassifierModel.Build());
        var initializer = proto.Graph.Initializer.OrderByDescending(i => Math.Max(i.RawData.Length, i.FloatData.Count * 4)).First();
        var data = initializer.RawData.Length > 0 ? initializer.RawData.ToByteArray() : initializer.FloatData.SelectMany(BitConverter.GetBytes).ToArray();
        initializer.RawData = ByteString.Empty;
        initializer.FloatData.Clear();
        initializer.DataLocation = global::Onnx.TensorProto.Types.DataLocation.External;
        initializer.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "location", Value = "classifier.onnx.data" });
        initializer.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "offset", Value = "0" });
        initializer.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "length", Value = data.Length.ToString(CultureInfo.InvariantCulture) });
        var model = proto.ToByteArray();
        using var bundle = TestBundle.FromDemo(files =>
        {
            files[DemoBundle.ClassifierFile] = model;
            files["classifier.onnx.data"] = data;
        });

        var prediction = Predict(bundle);

        Assert.That(prediction.Prediction, Is.EqualTo(Reference().Prediction));
    }
}
