using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FdPasser.AspNetCore;

/// <summary>Which inherited listeners Kestrel listens on, and what happens when no service manager passed any.</summary>
public sealed class InheritedListenerOptions
{
    /// <summary>
    /// The listener names (LISTEN_FDNAMES, fdpass hold's <c>--listen NAME=</c>, a unit's <c>FileDescriptorName=</c>);
    /// a name may stand for several listeners. Empty (the default): every inherited listening stream socket.
    /// </summary>
    public IList<string> Names { get; } = new List<string>();

    /// <summary>
    /// Refuse to start when no service manager passed listeners (no LISTEN_FDS, or LISTEN_PID of an unrelated
    /// process). Off by default: such a process — <c>dotnet run</c>, F5 — serves on Kestrel's configured URLs
    /// (ASPNETCORE_URLS, <c>launchSettings.json</c>, <c>UseUrls</c>, or Kestrel's default) and logs one warning.
    /// Turn it on in production, where serving on another address than the manager's would go unnoticed.
    /// </summary>
    public bool RequireServiceManager { get; set; }

    /// <summary>Called for each listener (protocols, HTTPS).</summary>
    public Action<ListenOptions>? Configure { get; set; }
}
