using System;
using System.Collections.Generic;
using System.Linq;

namespace FdPasser.AspNetCore;

/// <summary>
/// Which inherited descriptors Kestrel listens on: a pure function, so every rule is tested without a process
/// started by a service manager.
/// </summary>
internal static class ListenerSelection
{
    /// <summary>
    /// With no <paramref name="names"/>, every listening stream socket; with names, every listening stream socket
    /// of each name (a name may repeat, as systemd allows). Anything else passed (a stored memory file, a
    /// connected socket, a datagram socket) is skipped unless it was asked for by name.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// Nothing to listen on: no listening socket at all, a name no descriptor has, or a name whose descriptors are
    /// not listening stream sockets. The message lists what was passed.
    /// </exception>
    public static InheritedDescriptorInfo[] Select(IReadOnlyList<InheritedDescriptorInfo> passed, IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(passed);
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
        {
            InheritedDescriptorInfo[] all = passed.Where(d => d.IsStreamListener).ToArray();
            return all.Length > 0 ? all : throw new InvalidOperationException(
                $"Kestrel was asked to listen on every inherited listener, but {Describe(passed)}.");
        }
        var chosen = new List<InheritedDescriptorInfo>();
        foreach (string name in names.Distinct(StringComparer.Ordinal))
        {
            InheritedDescriptorInfo[] named = passed.Where(d => d.Name == name).ToArray();
            if (named.Length == 0)
            {
                throw new InvalidOperationException($"Kestrel was asked to listen on the inherited listener '{name}', but {Describe(passed)}.");
            }
            InheritedDescriptorInfo[] listeners = named.Where(d => d.IsStreamListener).ToArray();
            if (listeners.Length == 0)
            {
                throw new InvalidOperationException(
                    $"Kestrel was asked to listen on the inherited listener '{name}', but it is no listening stream socket: {string.Join(", ", named)}.");
            }
            chosen.AddRange(listeners);
        }
        return chosen.ToArray();
    }

    /// <summary>
    /// What to listen on, given whom LISTEN_PID named: the listeners <see cref="Select"/> picks when they were
    /// passed to this process; null, to fall back to Kestrel's configured URLs, when no service manager started it
    /// and <paramref name="requireServiceManager"/> is off.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The listeners were passed to the parent (a launcher such as <c>dotnet run</c>) and not accepted; none were
    /// passed and <paramref name="requireServiceManager"/> is on; or <see cref="Select"/> refused. The message names
    /// the option that changes the outcome.
    /// </exception>
    public static InheritedDescriptorInfo[]? Plan(
        IReadOnlyList<InheritedDescriptorInfo> passed, IReadOnlyCollection<string> names, ListenOrigin origin, bool requireServiceManager)
    {
        ArgumentNullException.ThrowIfNull(passed);
        ArgumentNullException.ThrowIfNull(names);
        switch (origin)
        {
            case ListenOrigin.ThisProcess:
                return Select(passed, names);
            case ListenOrigin.ParentProcess:
                // A manager is there (under dotnet run): serving elsewhere would never take its traffic.
                throw new InvalidOperationException(
                    $"Kestrel was asked to listen on {Asked(names)}, but LISTEN_PID names this process's parent (a launcher such as dotnet run), "
                    + $"so the listeners passed are not taken. Set {nameof(ServiceManagerOptions)}.{nameof(ServiceManagerOptions.AcceptParentListenPid)} = true "
                    + "(services.AddServiceManager(o => o.AcceptParentListenPid = true)) to take them, or start the app itself rather than through a launcher.");
            default:
                if (requireServiceManager)
                {
                    throw new InvalidOperationException(
                        $"Kestrel was asked to listen on {Asked(names)}, but {Describe(passed)}, and "
                        + $"{nameof(InheritedListenerOptions)}.{nameof(InheritedListenerOptions.RequireServiceManager)} is on. Start it under a service manager "
                        + $"(fdpass hold, systemd, systemd-socket-activate), or turn {nameof(InheritedListenerOptions.RequireServiceManager)} off to serve on Kestrel's configured URLs.");
                }
                return null;
        }
    }

    /// <summary>The one warning of a fallback: what was asked for, why it is not there, where Kestrel serves instead.</summary>
    public static string Fallback(IReadOnlyCollection<string> names, ListenOrigin origin) =>
        $"No service manager passed listeners ({(origin == ListenOrigin.NoManager ? "LISTEN_FDS is not set" : "LISTEN_PID names another process")}): "
        + $"Kestrel serves on its configured URLs (ASPNETCORE_URLS, launchSettings.json, UseUrls, or its default) instead of {Asked(names)}. "
        + $"Set {nameof(InheritedListenerOptions)}.{nameof(InheritedListenerOptions.RequireServiceManager)} to refuse to start instead.";

    private static string Asked(IReadOnlyCollection<string> names) =>
        names.Count == 0 ? "every inherited listener" : $"the inherited listener{(names.Count > 1 ? "s" : "")} {string.Join(", ", names.Distinct(StringComparer.Ordinal).Select(n => $"'{n}'"))}";

    private static string Describe(IReadOnlyList<InheritedDescriptorInfo> passed) =>
        passed.Count == 0
            ? "this process was started without LISTEN_FDS (or with LISTEN_PID of another process)"
            : $"this process was passed {string.Join(", ", passed)}";
}
