using System;

namespace FdPasser.AspNetCore;

/// <summary>How a Kestrel app speaks to the service manager that started it (fdpass hold, systemd, systemd-socket-activate).</summary>
public sealed class ServiceManagerOptions
{
    /// <summary>
    /// Take the inherited descriptors also when LISTEN_PID is the parent process's: for a launcher that starts the
    /// app as its child instead of replacing itself (<c>dotnet run</c>). The app then sends MAINPID= with its own
    /// pid, so the manager signals it rather than the launcher. Off by default, as in <c>sd_listen_fds</c>:
    /// descriptors meant for another process are not taken. Linux only (the parent is read from /proc).
    /// </summary>
    public bool AcceptParentListenPid { get; set; }

    /// <summary>
    /// On stop, the longest drain: the wait for connections already accepted to send their first request, for
    /// connections to be handed over, and for connections that cannot be to end by themselves, before Kestrel
    /// stops (which closes what is left). Default 10 s; the host's shutdown timeout bounds it too.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Hand live HTTP/1.1 keep-alive connections to the next generation on a reload, where the service manager
    /// offers a handover channel (fdpass hold passes <c>FDPASS_HANDOVER_FD</c>; systemd does not). On by default;
    /// with false, or without a channel, inherited listeners use Kestrel's socket transport and a reload ends
    /// keep-alive connections gracefully (<c>Connection: close</c> on responses during the drain).
    /// </summary>
    public bool HandOverConnections { get; set; } = true;

    /// <summary>
    /// A path this generation sends one <c>GET</c> to through its own request pipeline before READY=1, over a
    /// private loopback connection given straight to its first inherited listener (no traffic reaches the shared
    /// listener), so the first requests of handed-over connections do not meet a cold request path (first-call
    /// JIT). The app sees it as a request like any other (from 127.0.0.1, <c>Connection: close</c>): use a path
    /// without side effects. Null (the default) sends none. Only where connections are handed over.
    /// </summary>
    public string? WarmUpPath { get; set; }
}
