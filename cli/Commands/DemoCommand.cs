using System;
using System.IO;
using FdPasser.Cli.CommandLine;

namespace FdPasser.Cli.Commands;

/// <summary><c>fdpass demo</c>: the server side runs here; <c>--client ENDPOINT</c> is the second process it starts.</summary>
internal static class DemoCommand
{
    public static int Run(ReadOnlySpan<string> args, TextWriter output)
    {
        var a = ArgumentReader.Parse("demo", args, ["--client"], []);
        if (a.HelpRequested)
        {
            output.WriteLine(HelpText.Demo);
            return ExitCodes.Success;
        }
        a.Expect();
        return a.Single("--client") is { } endpoint
            ? new DemoClient(output).Run(endpoint)
            : new DemoServer(output).Run();
    }
}
