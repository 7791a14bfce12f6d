using System;
using System.Collections;
using System.Collections.Generic;
using System.Net.Sockets;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Systemd;

/// <summary>
/// The descriptors a service manager or socket activator passed to this process at start, as
/// <c>sd_listen_fds_with_names</c> finds them: only where LISTEN_PID is this process, LISTEN_FDS of them from
/// descriptor 3, named by LISTEN_FDNAMES. Each is made close-on-exec and owned by a <see cref="ListenDescriptor"/>;
/// disposing this collection closes every one not taken.
/// </summary>
public sealed class ListenDescriptors : IReadOnlyList<ListenDescriptor>, IDisposable
{
    private readonly ListenDescriptor[] _items;

    private ListenDescriptors(ListenDescriptor[] items) => _items = items;

    /// <summary>
    /// Takes the descriptors passed to this process. Where none were (no LISTEN_PID, or another process's), the
    /// collection is empty. <paramref name="unsetEnvironment"/> removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES
    /// from this process's environment (as .NET sees it), so children do not take them for their own.
    /// </summary>
    /// <exception cref="FormatException">The variables are meant for this process but malformed.</exception>
    /// <exception cref="FdPassingException">
    /// LISTEN_FDS names a descriptor that was not passed: it is not open (fcntl(F_GETFD) reported EBADF), or it is
    /// close-on-exec, so this process opened it itself (the runtime's own descriptors follow the passed ones). Every
    /// descriptor is checked before any is taken: none is taken, and none is closed.
    /// </exception>
    public static ListenDescriptors FromEnvironment(bool unsetEnvironment = true)
    {
        string? pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? fds = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        if (unsetEnvironment)
        {
            Environment.SetEnvironmentVariable("LISTEN_PID", null);
            Environment.SetEnvironmentVariable("LISTEN_FDS", null);
            Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        }
        string[]? parsed = ListenEnvironment.Parse(Environment.ProcessId, pid, fds, names);
        return parsed is null || parsed.Length == 0 ? new ListenDescriptors(Array.Empty<ListenDescriptor>()) : Adopt(parsed);
    }

    private static ListenDescriptors Adopt(string[] names)
    {
        Target native = Target.Current;
        // A descriptor inherited across exec cannot be close-on-exec (those were closed by the exec), and the runtime
        // opens all of its own close-on-exec: so an open descriptor without FD_CLOEXEC is one that was passed.
        // Nothing is taken, and so nothing closed, before every one has passed the check.
        for (int i = 0; i < names.Length; i++)
        {
            int fd = ListenEnvironment.FirstDescriptor + i;
            int flags = native.Files.TryGetDescriptorFlags(fd, out int errno);
            if (flags < 0)
            {
                throw native.Error("fcntl", errno,
                    $"checking passed descriptor {fd} ('{names[i]}', {i + 1} of LISTEN_FDS={names.Length}): it is not open, so LISTEN_FDS names more than were passed; none was taken");
            }
            if (native.Files.IsCloseOnExec(flags))
            {
                throw new FdPassingException(
                    $"Descriptor {fd} ('{names[i]}', {i + 1} of LISTEN_FDS={names.Length}) is close-on-exec, so it was not passed at exec but opened by this process; " +
                    "LISTEN_FDS names more descriptors than were passed, or they were taken already. None was taken or closed.");
            }
        }
        var items = new List<ListenDescriptor>(names.Length);
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                int fd = ListenEnvironment.FirstDescriptor + i;
                if (native.Files.TrySetCloseOnExec(fd) is int errno and not 0)
                {
                    throw native.Error("fcntl", errno, $"setting FD_CLOEXEC on passed descriptor {fd} ('{names[i]}', {i + 1} of LISTEN_FDS={names.Length})");
                }
                var handle = new SafeFileHandle(fd, ownsHandle: true);
                try
                {
                    DescriptorKind kind = native.Files.Describe(handle, out SocketType type, out bool listening);
                    items.Add(new ListenDescriptor(handle, names[i], kind, type, listening));
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }
            }
            return new ListenDescriptors(items.ToArray());
        }
        catch
        {
            foreach (ListenDescriptor d in items)
            {
                d.Dispose();
            }
            throw;
        }
    }

    /// <summary>How many descriptors were passed.</summary>
    public int Count => _items.Length;

    /// <summary>The descriptor at 3 + <paramref name="index"/>.</summary>
    public ListenDescriptor this[int index] => _items[index];

    /// <summary>The first descriptor named <paramref name="name"/>, or null.</summary>
    public ListenDescriptor? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Array.Find(_items, d => d.Name == name);
    }

    /// <summary>Every descriptor named <paramref name="name"/>, in order (a name may repeat).</summary>
    public ListenDescriptor[] FindAll(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Array.FindAll(_items, d => d.Name == name);
    }

    /// <summary>The first descriptor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">None has that name; the message lists the names there are.</exception>
    public ListenDescriptor Get(string name) =>
        Find(name) ?? throw new KeyNotFoundException(_items.Length == 0
            ? $"No descriptor named '{name}' was passed to this process: it was started without LISTEN_FDS (or for another LISTEN_PID)."
            : $"No descriptor named '{name}' was passed to this process; it has {string.Join(", ", Array.ConvertAll(_items, d => d.ToString()))}.");

    /// <inheritdoc />
    public IEnumerator<ListenDescriptor> GetEnumerator() => ((IEnumerable<ListenDescriptor>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        foreach (ListenDescriptor d in _items)
        {
            d.Dispose();
        }
    }
}
