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
    /// On stop, the longest wait for connections already accepted to send their first request before Kestrel
    /// stops (which closes a connection still waiting for one). Default 10 s; the host's shutdown timeout bounds it too.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
