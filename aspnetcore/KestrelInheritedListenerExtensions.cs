using System;
using System.Linq;
using FdPasser.AspNetCore.Draining;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FdPasser.AspNetCore;

/// <summary>Kestrel listening on listeners passed by a service manager (LISTEN_FDS, LISTEN_FDNAMES), by name.</summary>
public static partial class KestrelInheritedListenerExtensions
{
    /// <summary>
    /// Listens on the inherited listening stream sockets <paramref name="listeners"/> names (every one when it
    /// names none), skipping other descriptors passed (a stored memory file). When no service manager started the
    /// process (<c>dotnet run</c>, F5), Kestrel serves on its configured URLs instead and one warning is logged,
    /// unless <see cref="InheritedListenerOptions.RequireServiceManager"/> is on.
    /// Needs <see cref="ServiceManagerServiceCollectionExtensions.AddServiceManager"/>.
    /// </summary>
    /// <param name="options">Kestrel's options, as given to <c>ConfigureKestrel</c>.</param>
    /// <param name="listeners">The names, the strictness and the per-listener callback.</param>
    /// <exception cref="InvalidOperationException">
    /// When Kestrel's options are built (at start): a name no descriptor has, a name that is not a listening
    /// socket, or no listening socket at all (the message lists what was passed); listeners passed to the parent
    /// process, a launcher (the message names <see cref="ServiceManagerOptions.AcceptParentListenPid"/>); none
    /// passed under <see cref="InheritedListenerOptions.RequireServiceManager"/>; or the service manager support
    /// was not added.
    /// </exception>
    public static KestrelServerOptions ListenInherited(this KestrelServerOptions options, InheritedListenerOptions listeners)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(listeners);
        IServiceProvider services = options.ApplicationServices;
        InheritedDescriptors inherited = services.GetService<InheritedDescriptors>()
            ?? throw new InvalidOperationException("Listening on inherited listeners needs services.AddServiceManager() (FdPasser.AspNetCore).");
        string[] names = listeners.Names.ToArray();
        InheritedDescriptorInfo[]? chosen = ListenerSelection.Plan(inherited.Describe(), names, inherited.Origin, listeners.RequireServiceManager);
        if (chosen is null)
        {
            ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KestrelInheritedListenerExtensions).FullName!);
            LogFallback(logger, ListenerSelection.Fallback(names, inherited.Origin));
            return options;
        }
        ConnectionDrain drain = services.GetRequiredService<ConnectionDrain>();
        Action<ListenOptions>? configure = listeners.Configure;
        foreach (InheritedDescriptorInfo d in chosen)
        {
            ListenDescriptor(options, drain, (ulong)d.Number, configure);
        }
        return options;
    }

    /// <summary>
    /// Listens on every inherited listening stream socket named one of <paramref name="names"/> (a name may stand
    /// for several), or on every one when no name is given; see <see cref="ListenInherited(KestrelServerOptions, InheritedListenerOptions)"/>,
    /// with <see cref="InheritedListenerOptions.RequireServiceManager"/> off.
    /// </summary>
    /// <param name="options">Kestrel's options, as given to <c>ConfigureKestrel</c>.</param>
    /// <param name="names">The listener names (LISTEN_FDNAMES, fdpass hold's <c>--listen NAME=</c>, a unit's <c>FileDescriptorName=</c>).</param>
    /// <param name="configure">Called for each listener (protocols, HTTPS).</param>
    public static KestrelServerOptions ListenInherited(this KestrelServerOptions options, string[] names, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var listeners = new InheritedListenerOptions { Configure = configure };
        foreach (string name in names)
        {
            listeners.Names.Add(name);
        }
        return options.ListenInherited(listeners);
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

    /// <summary>
    /// Listens on every inherited listening stream socket, skipping anything else passed; without a service
    /// manager, on Kestrel's configured URLs (see <see cref="ListenInherited(KestrelServerOptions, InheritedListenerOptions)"/>).
    /// </summary>
    public static KestrelServerOptions ListenAllInherited(this KestrelServerOptions options, Action<ListenOptions>? configure = null) =>
        options.ListenInherited(Array.Empty<string>(), configure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Message}")]
    private static partial void LogFallback(ILogger logger, string message);
}
