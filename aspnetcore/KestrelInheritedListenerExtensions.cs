using System;
using FdPasser.AspNetCore.Draining;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FdPasser.AspNetCore;

/// <summary>Kestrel listening on listeners passed by a service manager (LISTEN_FDS, LISTEN_FDNAMES), by name.</summary>
public static class KestrelInheritedListenerExtensions
{
    /// <summary>
    /// Listens on every inherited listening stream socket named one of <paramref name="names"/> (a name may stand
    /// for several), or on every one when no name is given. Other descriptors passed (a stored memory file) are
    /// skipped. Needs <see cref="ServiceManagerServiceCollectionExtensions.AddServiceManager"/>.
    /// </summary>
    /// <param name="options">Kestrel's options, as given to <c>ConfigureKestrel</c>.</param>
    /// <param name="names">The listener names (LISTEN_FDNAMES, fdpass hold's <c>--listen NAME=</c>, a unit's <c>FileDescriptorName=</c>).</param>
    /// <param name="configure">Called for each listener (protocols, HTTPS).</param>
    /// <exception cref="InvalidOperationException">
    /// At start: a name no descriptor has, a name that is not a listening socket, or no listening socket at all;
    /// the message lists what was passed. Or the service manager support was not added.
    /// </exception>
    public static KestrelServerOptions ListenInherited(this KestrelServerOptions options, string[] names, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(names);
        IServiceProvider services = options.ApplicationServices;
        InheritedDescriptors inherited = services.GetService<InheritedDescriptors>()
            ?? throw new InvalidOperationException("Listening on inherited listeners needs services.AddServiceManager() (FdPasser.AspNetCore).");
        ConnectionDrain drain = services.GetRequiredService<ConnectionDrain>();
        foreach (InheritedDescriptorInfo d in ListenerSelection.Select(inherited.Describe(), names))
        {
            ListenDescriptor(options, drain, (ulong)d.Number, configure);
        }
        return options;
    }

    /// <summary>Listens on one listening socket by number, its connections known to the drain.</summary>
    internal static void ListenDescriptor(KestrelServerOptions options, ConnectionDrain drain, ulong descriptor, Action<ListenOptions>? configure)
    {
        options.ListenHandle(descriptor, listen =>
        {
            listen.Use(drain.Track);
            configure?.Invoke(listen);
        });
    }

    /// <summary>Listens on the inherited listener(s) named <paramref name="name"/>; see <see cref="ListenInherited(KestrelServerOptions, string[], Action{ListenOptions})"/>.</summary>
    public static KestrelServerOptions ListenInherited(this KestrelServerOptions options, string name, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return options.ListenInherited(new[] { name }, configure);
    }

    /// <summary>Listens on every inherited listening stream socket, skipping anything else passed.</summary>
    public static KestrelServerOptions ListenAllInherited(this KestrelServerOptions options, Action<ListenOptions>? configure = null) =>
        options.ListenInherited(Array.Empty<string>(), configure);
}
