using System.Diagnostics;
using System.Text.Json;
using Atlas.Client.Tests.Infrastructure;
using Atlas.Infrastructure.Models.Demo;
using SkiaSharp;

namespace Atlas.Client.Tests;

/// <summary>
/// The generated TypeScript client against the real service: clients/typescript/examples/smoke.ts is compiled with
/// the client by the repository's tsc and run by Node against Atlas on Kestrel (loopback) with the fake Gemini
/// server. Needs Node and <c>npm ci</c> in clients/typescript (.ci/run does both); skipped, saying so, without them.
/// </summary>
[TestFixture]
public sealed class TypeScriptClientTests
{
    [Test]
    public async Task Generated_TypeScript_client_calls_the_routes_and_surfaces_ProblemDetails()
    {
        var package = Path.Combine(SharedData.RequireRepoRoot(), "clients", "typescript");
        var tsc = Path.Combine(package, "node_modules", "typescript", "bin", "tsc");
        var node = FindOnPath("node");
        if (node is null || !File.Exists(tsc))
        {
            Assert.Ignore("Node.js or clients/typescript/node_modules is missing: run `npm ci` in clients/typescript (.ci/run does) to run this test.");
        }

        var output = Directory.CreateTempSubdirectory("atlas-ts-");
        try
        {
            var compile = await RunAsync(node!, package, tsc, "-p", "tsconfig.json", "--noEmit", "false", "--outDir", output.FullName);
            Assert.That(compile.ExitCode, Is.Zero, compile.Output + compile.Errors);
            await File.WriteAllTextAsync(Path.Combine(output.FullName, "package.json"), """{"type":"module"}""");

            await using var gemini = await FakeGeminiServer.StartAsync();
            await using var server = await AtlasServer.StartAsync(gemini.Settings("test-gemini-key"));
            var png = Convert.ToBase64String(TestImages.Solid(64, 64, new SKColor(128, 128, 128), SKEncodedImageFormat.Png, 90));
            var run = await RunAsync(node!, output.FullName, Path.Combine(output.FullName, "examples", "smoke.js"), server.BaseUrl.ToString().TrimEnd('/'), png);
            Assert.That(run.ExitCode, Is.Zero, run.Output + run.Errors);

            using var json = JsonDocument.Parse(run.Output.Trim().Split('\n')[^1]);
            var r = json.RootElement;
            Assert.That(r.GetProperty("filename").GetString(), Is.EqualTo("grey.png"));
            Assert.That(r.GetProperty("country").GetString(), Is.EqualTo("USA"));
            Assert.That(r.GetProperty("modelVersion").GetString(), Is.EqualTo(DemoBundle.Version));
            Assert.That(r.GetProperty("validationStatus").GetInt32(), Is.EqualTo(400));
            Assert.That(r.GetProperty("validationFields").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "country" }));
            Assert.That(r.GetProperty("validationTraceId").GetString(), Is.Not.Empty);
            var group = r.GetProperty("geminiGroups").EnumerateArray().Single();
            Assert.That(group[0].GetString(), Is.EqualTo("fox"));
            Assert.That(group[1].EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "a.png", "b.png" }));
            Assert.That(r.GetProperty("live").GetString(), Is.EqualTo("alive"));
            Assert.That(r.GetProperty("routes").GetInt32(), Is.GreaterThan(0));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
