using System;
using System.Runtime.InteropServices;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.AspNetCore;

/// <summary>
/// Descriptors kept by the service manager across generations (systemd's FDSTORE=1): state in a memory file, an
/// open file. A generation stores them with <see cref="Store"/>; the next one gets them back at start, passed
/// beside the listeners under their names, with <see cref="Take"/>.
/// </summary>
public sealed class ServiceDescriptorStore
{
    private readonly InheritedDescriptors _inherited;
    private readonly ServiceNotifier _notifier;

    internal ServiceDescriptorStore(InheritedDescriptors inherited, ServiceNotifier notifier)
    {
        _inherited = inherited;
        _notifier = notifier;
    }

    /// <summary>True when a service manager listens (NOTIFY_SOCKET was set): only then is anything stored.</summary>
    public bool IsEnabled => _notifier.IsEnabled;

    /// <summary>
    /// Takes the first descriptor passed at start under <paramref name="name"/> that is not a listening socket
    /// (those are Kestrel's), or returns null where none was (the first generation, or no manager). The caller owns
    /// the handle; the manager keeps its own copy until it is removed.
    /// </summary>
    public SafeFileHandle? Take(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (ListenDescriptor d in _inherited.Passed.FindAll(name))
        {
            if (d.IsOwned && !(d.Kind == DescriptorKind.Socket && d.IsListening))
            {
                return d.TakeFileHandle();
            }
        }
        return null;
    }

    /// <summary>
    /// Sends <paramref name="descriptor"/> to the service manager to keep under <paramref name="name"/>
    /// (FDSTORE=1, FDNAME=). The caller's handle stays open and the caller's. <paramref name="poll"/> false
    /// (FDPOLL=0) keeps systemd from dropping it on POLLHUP/POLLERR.
    /// </summary>
    /// <returns><see cref="NotifyResult.NoServiceManager"/> where there is none; nothing is stored then.</returns>
    /// <exception cref="ArgumentException">A name systemd would refuse (1–255 printable ASCII characters, no ':'), or an invalid handle.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="descriptor"/> is closed; checked with or without a service manager.</exception>
    /// <exception cref="FdPassingException">The manager is gone (connect or sendmsg failed; the errno is named).</exception>
    public NotifyResult Store(string name, SafeHandle descriptor, bool poll = false)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return _notifier.StoreDescriptors(name, new[] { descriptor }, poll);
    }

    /// <summary>Asks the service manager to close every descriptor it keeps under <paramref name="name"/> (FDSTOREREMOVE=1).</summary>
    public NotifyResult Remove(string name) => _notifier.RemoveStoredDescriptors(name);
}
