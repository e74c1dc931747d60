using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Atlas.OpenApi;

/// <summary>
/// <c>dotnet run --project tools/Atlas.OpenApi -- &lt;document.json&gt; &lt;client.g.cs&gt;</c>: hosts Atlas in process with
/// the API docs on, writes the document served at <c>/openapi.json</c> byte for byte, then the C# client generated
/// from it (openapi/regenerate.sh calls it, then NSwag's CLI for the TypeScript client).
/// </summary>
internal static class Tool
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2)
        {
            await Console.Error.WriteLineAsync("usage: Atlas.OpenApi <document.json> <client.g.cs>");
            return 2;
        }

        await using var factory = new WebApplicationFactory<global::Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSolutionRelativeContentRoot("src/Atlas.Api");
            builder.UseEnvironment("Testing");
            builder.UseSetting("Security:EnableApiDocs", "true");
            builder.UseSetting("Onnx:ExecutionProvider", "Cpu");
            builder.UseSetting("Jobs:DataDir", Path.Combine(Path.GetTempPath(), "atlas-openapi-jobs"));
            builder.UseSetting("Jobs:Role", "api");
        });
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/openapi.json", UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"GET /openapi.json answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
            return 1;
        }
        var output = Path.GetFullPath(args[0]);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllBytesAsync(output, body);
        Console.WriteLine($"wrote {output} ({body.Length} bytes)");

        var clientFile = Path.GetFullPath(args[1]);
        var code = await CSharpClientGenerator.GenerateAsync(System.Text.Encoding.UTF8.GetString(body));
        Directory.CreateDirectory(Path.GetDirectoryName(clientFile)!);
        await File.WriteAllTextAsync(clientFile, code, new System.Text.UTF8Encoding(false));
        Console.WriteLine($"wrote {clientFile} ({code.Length} chars)");
        return 0;
    }
}
