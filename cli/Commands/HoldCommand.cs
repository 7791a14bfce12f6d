using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Hold;
using FdPasser.Cli.Server;

namespace FdPasser.Cli.Commands;

/// <summary><c>fdpass hold --listen NAME=SPEC... [options] [--] COMMAND [ARGS...]</c>, and its <c>--reload</c> and <c>--status</c> clients.</summary>
internal static class HoldCommand
{
    public static int Run(ReadOnlySpan<string> args, TextWriter output)
    {
        var a = ArgumentReader.Parse(
            "hold",
            args,
            ["--listen", "--user", "--ready-timeout", "--stop-timeout", "--settle-time", "--fd-store-max", "--control", "--env",
             "--env-file", .. HoldOperatorOptions.Valued, .. StartPriority.Valued],
            ["--reload", "--status", "--upgrade", .. HoldOperatorOptions.Flags],
            firstPositionalEndsOptions: true);
        if (a.HelpRequested)
        {
            output.WriteLine(HoldHelp.Text);
            return ExitCodes.Success;
        }
        uint ownUid = Endpoint.Self().UserId;
        string? givenControl = a.Single("--control");
        string control = givenControl ?? ControlPath.Default(ownUid);
        if (a.Has("--upgrade"))
        {
            if (a.Has("--reload") || a.Has("--status") || a.All("--listen").Count > 0 || a.Positionals.Count > 1)
            {
                throw a.Usage("--upgrade takes only --control and the new program's PATH (last)");
            }
            if (givenControl is null)
            {
                ControlPath.CheckDirectory(ControlPath.DirectoryOf(control), ownUid);
            }
            return UpgradeClient.Run(control, a.Positionals.Count == 1 ? a.Positionals[0] : null, ownUid, output);
        }
        if (a.Has("--reload") || a.Has("--status"))
        {
            if (a.Has("--reload") && a.Has("--status"))
            {
                throw a.Usage("--reload and --status ask for different things; give one");
            }
            if (a.Positionals.Count > 0 || a.All("--listen").Count > 0)
            {
                throw a.Usage($"--{(a.Has("--reload") ? "reload" : "status")} takes only --control{(a.Has("--reload") ? ", --wait and --timeout" : "")} (it asks a running fdpass hold)");
            }
            string request = a.Has("--reload") ? HoldOperatorOptions.ReloadRequest(a) : "status";
            if (givenControl is null)
            {
                ControlPath.CheckDirectory(ControlPath.DirectoryOf(control), ownUid);
            }
            return ControlClient.Ask(control, request, ownUid, output, Console.Error);
        }
        HoldOperatorOptions.RefuseClientOnly(a);
        if (a.Positionals.Count == 0)
        {
            throw a.Usage(a.All("--listen").Count == 0 ? "missing COMMAND and --listen NAME=tcp:HOST:PORT or NAME=unix:PATH" : "missing COMMAND");
        }
        var listeners = new List<ListenerSpec>();
        foreach (string text in a.All("--listen"))
        {
            ListenerSpec spec;
            try
            {
                spec = ListenerSpec.Parse(text);
            }
            catch (FormatException e)
            {
                throw a.Usage($"--listen {e.Message}");
            }
            if (listeners.Exists(l => l.Name == spec.Name))
            {
                throw a.Usage($"--listen: the name '{spec.Name}' is given twice");
            }
            listeners.Add(spec);
        }
        if (listeners.Count == 0)
        {
            throw a.Usage("missing --listen NAME=tcp:HOST:PORT or NAME=unix:PATH");
        }
        string? user = a.Single("--user");
        if (user is not null && ownUid != 0)
        {
            throw a.Usage("--user needs fdpass hold to run as root");
        }
        var timings = new HoldTimings
        {
            ReadyTimeout = Seconds(a, "--ready-timeout", 30, allowZero: true) is { } ready && ready > TimeSpan.Zero ? ready : null,
            StopTimeout = Seconds(a, "--stop-timeout", 30, allowZero: false)!.Value,
            SettleTime = Seconds(a, "--settle-time", 2, allowZero: true)!.Value,
        };
        timings = HoldOperatorOptions.Timings(a, timings);
        (int Policy, TimeSpan Limit)? startPriority = StartPriority.Parse(a);
        timings = timings with { StartPriorityLimit = startPriority?.Limit };
        int storeMax = 16;
        if (a.Single("--fd-store-max") is { } max &&
            (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out storeMax) || storeMax > 4096))
        {
            throw a.Usage($"--fd-store-max '{max}' is not a number from 0 to 4096");
        }
        var environment = new List<KeyValuePair<string, string>>();
        try
        {
            foreach (string file in a.All("--env-file"))
            {
                environment.AddRange(ChildEnvironment.ReadFile(file));
            }
            foreach (string text in a.All("--env"))
            {
                environment.Add(ChildEnvironment.Parse(text));
            }
        }
        catch (FormatException e)
        {
            throw a.Usage($"--env: {e.Message}");
        }
        var options = new HoldOptions
        {
            Setpriv = user is null ? null : Setpriv.Find(),
            Environment = environment,
            Listeners = listeners,
            Command = a.Positionals[0],
            Arguments = a.Positionals.Count > 1 ? new List<string>(a.Positionals).GetRange(1, a.Positionals.Count - 1) : [],
            User = user,
            Timings = timings,
            FdStoreMax = storeMax,
            ControlPath = control,
            Ready = HoldOperatorOptions.ReadyMode(a),
            StopSignal = HoldOperatorOptions.StopSignal(a),
            StartPolicy = startPriority?.Policy,
        };
        if (givenControl is null)
        {
            ControlPath.PrepareDirectory(control, ownUid);
        }
        // Log writes never block the loop: an output nobody reads must not stop signals, --status or reloads.
        using var log = ServerLog.NonBlocking(output);
        using var runner = new HoldRunner(options, log);
        return runner.Run();
    }

    internal static TimeSpan? Seconds(ArgumentReader a, string option, double byDefault, bool allowZero)
    {
        string? text = a.Single(option);
        if (text is null)
        {
            return TimeSpan.FromSeconds(byDefault);
        }
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || s > 86400 || (s == 0 && !allowZero))
        {
            throw a.Usage($"{option} '{text}' is not a number of seconds from {(allowZero ? "0" : "more than 0")} to 86400");
        }
        return TimeSpan.FromSeconds(s);
    }
}
