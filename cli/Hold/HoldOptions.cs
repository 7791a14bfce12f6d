using System;
using System.Collections.Generic;

namespace FdPasser.Cli.Hold;

/// <summary>What <c>fdpass hold</c> runs and how (from its command line).</summary>
internal sealed class HoldOptions
{
    public required IReadOnlyList<ListenerSpec> Listeners { get; init; }

    /// <summary>COMMAND: the program (a path, or a name looked up in PATH).</summary>
    public required string Command { get; init; }

    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Run COMMAND as this user (name or uid); null runs it as fdpass hold's own user.</summary>
    public string? User { get; init; }

    public required HoldTimings Timings { get; init; }

    /// <summary>At most this many descriptors are kept in the store.</summary>
    public int FdStoreMax { get; init; } = 16;

    /// <summary>The control socket (<c>fdpass hold --reload</c>, <c>--status</c>).</summary>
    public required string ControlPath { get; init; }

    /// <summary>How a generation is known to be ready (<c>--ready</c>).</summary>
    public ReadyMode Ready { get; init; } = ReadyMode.Notify;

    /// <summary>The signal that asks a generation to stop (<c>--stop-signal</c>, systemd's KillSignal=).</summary>
    public System.Runtime.InteropServices.PosixSignal StopSignal { get; init; } = System.Runtime.InteropServices.PosixSignal.SIGTERM;

    /// <summary>The control socket's default path: /run for root, XDG_RUNTIME_DIR, else /tmp with the uid in the name.</summary>
    public static string DefaultControlPath(uint uid)
    {
        if (uid == 0)
        {
            return "/run/fdpass-hold.sock";
        }
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(runtime) ? $"/tmp/fdpass-hold-{uid}.sock" : System.IO.Path.Combine(runtime, "fdpass-hold.sock");
    }
}
