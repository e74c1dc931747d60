using Atlas.Infrastructure.Models.Demo;

// Model bundle utilities. Commands:
//   demo --out DIR   write the demo bundle (SpeciesNet folder layout, demo-untrained models) to DIR
return Run(args);

static int Run(string[] args)
{
    if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
    {
        Usage(Console.Out);
        return args.Length == 0 ? 2 : 0;
    }

    switch (args[0])
    {
        case "demo":
            var output = Option(args, "--out");
            if (output is null)
            {
                Console.Error.WriteLine("demo: --out DIR is required.");
                Usage(Console.Error);
                return 2;
            }

            foreach (var path in DemoBundle.WriteTo(output)) Console.WriteLine(path);
            Console.WriteLine($"Demo bundle '{DemoBundle.Version}' written to {Path.GetFullPath(output)}");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown command '{args[0]}'.");
            Usage(Console.Error);
            return 2;
    }
}

static string? Option(string[] args, string name)
{
    for (var i = 1; i < args.Length - 1; i++)
        if (string.Equals(args[i], name, StringComparison.Ordinal)) return args[i + 1];
    return null;
}

static void Usage(TextWriter writer) => writer.WriteLine("""
    Usage: atlas-bundle <command> [options]

    Commands:
      demo --out DIR   Write the demo model bundle (info.json, detector.onnx, classifier.onnx, labels.txt,
                       taxonomy.txt, geofence.json; version "demo-untrained") to DIR.
    """);
