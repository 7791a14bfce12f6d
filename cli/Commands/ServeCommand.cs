using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Server;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Commands;

/// <summary><c>fdpass serve ENDPOINT [--root DIR] [--allow-uid UID]... [--allow-write] [--request-timeout SECONDS] [--max-connections N]</c>.</summary>
internal static class ServeCommand
{
    /// <summary>Set to 0, makes the server walk paths with openat even where openat2 exists (the fallback of older kernels and other systems).</summary>
    public const string NoOpenat2Variable = "FDPASS_SERVE_OPENAT2";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode Everyone = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public static int Run(ReadOnlySpan<string> args, TextWriter output)
    {
        var a = ArgumentReader.Parse("serve", args, ["--root", "--allow-uid", "--request-timeout", "--max-connections"], ["--allow-write"]);
        if (a.HelpRequested)
        {
            output.WriteLine(HelpText.Serve);
            return ExitCodes.Success;
        }
        string endpoint = a.Expect("ENDPOINT")[0];
        FileCalls files = CliTarget.Current.Files;
        var uids = new HashSet<uint>();
        var names = new Dictionary<uint, string>();
        foreach (string text in a.All("--allow-uid"))
        {
            // A name is resolved once, now: a user renamed or removed later keeps (or loses) nothing by it.
            if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
            {
                uids.Add(uid);
            }
            else if (text.Length > 0 && files.LookUpUser(text) is { } named)
            {
                uids.Add(named);
                names[named] = text;
            }
            else
            {
                throw a.Usage($"--allow-uid '{text}' is neither a user id nor the name of a known user");
            }
        }
        TimeSpan requestTimeout = TimeSpan.FromSeconds(10);
        if (a.Single("--request-timeout") is { } seconds)
        {
            if (!double.TryParse(seconds, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double s) || s <= 0 || s > 86400)
            {
                throw a.Usage($"--request-timeout '{seconds}' is not a number of seconds between 0 and 86400");
            }
            requestTimeout = TimeSpan.FromSeconds(s);
        }
        int maxConnections = ConnectionLimit.Default(out string? limitNote);
        if (a.Single("--max-connections") is { } most)
        {
            if (!int.TryParse(most, NumberStyles.None, CultureInfo.InvariantCulture, out maxConnections) || maxConnections < 1)
            {
                throw a.Usage($"--max-connections '{most}' is not a number of connections (1 or more)");
            }
            limitNote = null;
        }
        string root = a.Single("--root") ?? Environment.CurrentDirectory;
        bool allowWrite = a.Has("--allow-write");

        PathResolver resolver = PathResolver.Create(root, files);
        using BeneathOpener beneath = BeneathOpener.Open(resolver.Root, files, allowOpenat2: Environment.GetEnvironmentVariable(NoOpenat2Variable) != "0");
        uint self = Endpoint.Self().UserId;
        var options = new ServerOptions
        {
            AllowedUids = uids.Count > 0 ? uids : new HashSet<uint> { self },
            RequestTimeout = requestTimeout,
            MaxConnections = maxConnections,
        };
        bool othersAllowed = options.AllowedUids.Any(u => u != self);
        var log = new ServerLog(output);

        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop(stop));
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop(stop));
        FdListener listener = Endpoint.Listen(endpoint, new FdListenerOptions { FileMode = othersAllowed ? Everyone : OwnerOnly });
        try
        {
            log.Write(
                $"listening on {endpoint} ({Access(endpoint, othersAllowed)}); serving {resolver.Root} " +
                $"{(allowWrite ? "read-write" : "read-only")} to uid {string.Join(", ", options.AllowedUids.Order().Select(u => names.TryGetValue(u, out string? n) ? $"{u} ({n})" : u.ToString(CultureInfo.InvariantCulture)))}, " +
                $"at most {maxConnections} connection(s) at once; " +
                (beneath.UsesOpenat2 ? "opening with openat2 beneath the root" : $"opening component by component with openat ({beneath.WalkReason})"));
            if (limitNote is not null)
            {
                log.Write("note: " + limitNote);
            }
            new OpenServer(listener, new FileOpener(resolver, beneath, allowWrite, files), options, log).RunAsync(stop.Token).GetAwaiter().GetResult();
        }
        finally
        {
            listener.Dispose();
        }
        log.Write(Endpoint.IsAbstract(endpoint) ? $"stopped; closed {endpoint}" : $"stopped; removed {endpoint}");
        return ExitCodes.Success;
    }

    private static string Access(string endpoint, bool othersAllowed) =>
        Endpoint.IsAbstract(endpoint) ? "abstract socket: any local process may connect"
        : othersAllowed ? "socket mode 0666" : "socket mode 0600";

    private static Action<PosixSignalContext> Stop(CancellationTokenSource stop) => context =>
    {
        context.Cancel = true; // the server stops itself: it removes its socket file on the way out
        stop.Cancel();
    };
}
