using System;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Commands;

namespace FdPasser.Cli;

/// <summary>fdpass: dispatches to a command; every failure is one line on standard error and a non-zero exit code.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("fdpass: missing command: serve, get, hold or demo (see 'fdpass --help')");
            return ExitCodes.Usage;
        }
        string command = args[0];
        ReadOnlySpan<string> rest = args.AsSpan(1);
        try
        {
            switch (command)
            {
                case "-h" or "--help" or "help":
                    Console.Out.WriteLine(HelpText.Main);
                    return ExitCodes.Success;
                case "serve":
                    return ServeCommand.Run(rest, Console.Out);
                case "get":
                    return GetCommand.Run(rest, Console.Out, Console.Error);
                case "hold":
                    return HoldCommand.Run(rest, Console.Out);
                case "demo":
                    return DemoCommand.Run(rest, Console.Out);
                default:
                    throw new UsageException($"fdpass: unknown command '{command}': expected serve, get, hold or demo (see 'fdpass --help')");
            }
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"fdpass {command}: {OneLine.Of(e)}");
            return ExitCodes.Failure;
        }
    }
}
