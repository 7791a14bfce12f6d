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

    private static string Describe(IReadOnlyList<InheritedDescriptorInfo> passed) =>
        passed.Count == 0
            ? "this process was started without LISTEN_FDS (or with LISTEN_PID of another process)"
            : $"this process was passed {string.Join(", ", passed)}";
}
