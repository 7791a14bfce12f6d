using System;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using FdPasser.Platform;

namespace FdPasser.Systemd;

/// <summary>
/// Tells a service manager (systemd, <c>fdpass hold</c>, anything that reads <c>sd_notify</c>) how this service is
/// doing: each call sends one datagram of <c>KEY=VALUE</c> lines to NOTIFY_SOCKET (a path, or <c>@name</c> for a
/// Linux abstract socket), with any descriptors attached as SCM_RIGHTS. Without NOTIFY_SOCKET every call does
/// nothing and returns <see cref="NotifyResult.NoServiceManager"/>.
/// </summary>
public sealed class ServiceNotifier
{
    /// <summary>The most bytes one notification may hold; systemd reads at most this much (PIPE_BUF).</summary>
    public const int MaxMessageBytes = 4096;

    private readonly byte[]? _address;

    /// <summary>A notifier for the socket at <paramref name="socketAddress"/>: a path, or <c>@name</c> for an abstract socket.</summary>
    /// <exception cref="ArgumentException">The address is empty, or too long for a Unix socket address.</exception>
    /// <exception cref="NotSupportedException">The address is an AF_VSOCK one (<c>vsock:CID:PORT</c>, as systemd gives a virtual machine's service).</exception>
    public ServiceNotifier(string socketAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketAddress);
        if (socketAddress.StartsWith("vsock", StringComparison.Ordinal) && socketAddress.Contains(':'))
        {
            throw new NotSupportedException(
                $"NOTIFY_SOCKET '{socketAddress}' is an AF_VSOCK address (a service manager outside this virtual machine); FdPasser notifies only over Unix sockets (a path or @abstract name), so vsock is not supported.");
        }
        bool isAbstract = socketAddress[0] == '@';
        if (!isAbstract && socketAddress[0] != '/')
        {
            throw new ArgumentException($"NOTIFY_SOCKET '{socketAddress}' is neither an absolute path nor an @abstract name.", nameof(socketAddress));
        }
        SocketAddress = socketAddress;
        _address = Target.Current.Sockets.Address(isAbstract ? socketAddress.Substring(1) : socketAddress, isAbstract);
    }

    private ServiceNotifier()
    {
    }

    /// <summary>
    /// The notifier this process's service manager asked for through NOTIFY_SOCKET; a disabled one where there is
    /// none. <paramref name="unsetEnvironment"/> removes NOTIFY_SOCKET, so children do not notify in this process's name.
    /// </summary>
    /// <exception cref="NotSupportedException">NOTIFY_SOCKET is an AF_VSOCK address (<c>vsock:CID:PORT</c>).</exception>
    /// <exception cref="ArgumentException">NOTIFY_SOCKET is neither an absolute path nor an @abstract name.</exception>
    public static ServiceNotifier FromEnvironment(bool unsetEnvironment = false)
    {
        string? address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (unsetEnvironment)
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
        }
        return string.IsNullOrEmpty(address) ? new ServiceNotifier() : new ServiceNotifier(address);
    }

    /// <summary>The manager's socket; null where there is no manager.</summary>
    public string? SocketAddress { get; }

    /// <summary>True where there is a manager to notify.</summary>
    public bool IsEnabled => _address is not null;

    /// <summary>READY=1: start-up (or a reload) is finished. <paramref name="status"/> adds STATUS=.</summary>
    public NotifyResult Ready(string? status = null) => Send(NotifyMessage.With("READY=1", status), default);

    /// <summary>RELOADING=1 with MONOTONIC_USEC= now, as systemd's Type=notify-reload requires; READY=1 ends it.</summary>
    public NotifyResult Reloading(string? status = null)
    {
        string now = "MONOTONIC_USEC=" + Target.Current.Notifications.MonotonicMicroseconds().ToString(CultureInfo.InvariantCulture);
        return Send(NotifyMessage.With("RELOADING=1\n" + now, status), default);
    }

    /// <summary>STOPPING=1: the service is shutting down.</summary>
    public NotifyResult Stopping(string? status = null) => Send(NotifyMessage.With("STOPPING=1", status), default);

    /// <summary>STATUS=: a one-line description of what the service is doing.</summary>
    public NotifyResult Status(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return Send(NotifyMessage.With(null, status), default);
    }

    /// <summary>MAINPID=: the service's main process is now <paramref name="processId"/>.</summary>
    public NotifyResult MainPid(int processId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(processId);
        return Send("MAINPID=" + processId.ToString(CultureInfo.InvariantCulture), default);
    }

    /// <summary>
    /// FDSTORE=1 with FDNAME=: asks the manager to keep <paramref name="descriptors"/> under <paramref name="name"/>
    /// and pass them to the service's next start. <paramref name="poll"/> false adds FDPOLL=0 (the manager then does
    /// not drop them when they report an error or hang-up, which a listening socket or memory file never should).
    /// </summary>
    /// <exception cref="ObjectDisposedException">A handle is closed (checked with or without a manager).</exception>
    /// <exception cref="ArgumentException">No descriptors, an invalid handle, or a name systemd would refuse.</exception>
    public NotifyResult StoreDescriptors(string name, ReadOnlySpan<SafeHandle> descriptors, bool poll = true)
    {
        DescriptorNames.Validate(name, nameof(name));
        if (descriptors.Length == 0)
        {
            throw new ArgumentException("FDSTORE=1 needs at least one descriptor to store.", nameof(descriptors));
        }
        // Checked whether or not a manager listens, so a closed handle fails in development as it would in production.
        foreach (SafeHandle d in descriptors)
        {
            ArgumentNullException.ThrowIfNull(d, nameof(descriptors));
            ObjectDisposedException.ThrowIf(d.IsClosed, d);
            if (d.IsInvalid)
            {
                throw new ArgumentException($"A descriptor to store under '{name}' is invalid (no open descriptor).", nameof(descriptors));
            }
        }
        return Send("FDSTORE=1\nFDNAME=" + name + (poll ? "" : "\nFDPOLL=0"), descriptors);
    }

    /// <summary>FDSTOREREMOVE=1 with FDNAME=: the manager closes every descriptor it keeps under <paramref name="name"/>.</summary>
    public NotifyResult RemoveStoredDescriptors(string name)
    {
        DescriptorNames.Validate(name, nameof(name));
        return Send("FDSTOREREMOVE=1\nFDNAME=" + name, default);
    }

    /// <summary>
    /// BARRIER=1: sends a descriptor the manager closes once it has handled every earlier notification, and waits
    /// for that. Returns false where <paramref name="timeout"/> passed first.
    /// </summary>
    public bool Barrier(TimeSpan timeout)
    {
        if (!IsEnabled)
        {
            return true;
        }
        SocketTransport t = Target.Current.Sockets;
        t.CreatePair(out SafeSocketHandle ours, out SafeSocketHandle theirs);
        using (ours)
        {
            using (theirs)
            {
                Send("BARRIER=1", new SafeHandle[] { theirs });
            }
            // The manager's copy is the last one open: our end reads end-of-file when it is closed.
            int ms = timeout == System.Threading.Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
            return t.Poll(ours, forWrite: false, ms);
        }
    }

    /// <summary>
    /// Sends <paramref name="state"/> (newline-separated <c>KEY=VALUE</c> lines) with <paramref name="descriptors"/>
    /// as one datagram.
    /// </summary>
    /// <exception cref="ArgumentException">The message is malformed or longer than <see cref="MaxMessageBytes"/>.</exception>
    /// <exception cref="FdPassingException">The manager's socket refused it (connect or sendmsg failed; errno named).</exception>
    public NotifyResult Notify(string state, ReadOnlySpan<SafeHandle> descriptors = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Send(state, descriptors);
    }

    private NotifyResult Send(string state, ReadOnlySpan<SafeHandle> descriptors)
    {
        byte[] message = NotifyMessage.Encode(state);
        if (_address is null)
        {
            return NotifyResult.NoServiceManager;
        }
        SocketTransport t = Target.Current.Sockets;
        using SafeSocketHandle socket = Target.Current.Notifications.CreateDatagramSocket();
        int errno = t.TryConnect(socket, _address);
        if (errno != 0)
        {
            throw t.Error("connect", errno, $"connecting to the service manager's NOTIFY_SOCKET '{SocketAddress}'");
        }
        var refs = new bool[descriptors.Length];
        int[] fds = new int[descriptors.Length];
        try
        {
            for (int i = 0; i < descriptors.Length; i++)
            {
                ArgumentNullException.ThrowIfNull(descriptors[i], nameof(descriptors));
                descriptors[i].DangerousAddRef(ref refs[i]);
                fds[i] = (int)descriptors[i].DangerousGetHandle();
            }
            while (true)
            {
                if (t.TrySend(socket, message, fds, out errno) >= 0)
                {
                    return NotifyResult.Sent;
                }
                // A manager that has not read its queue yet: wait for room as sd_notify's blocking send does.
                if (errno != t.Constants.EAGAIN || !t.Poll(socket, forWrite: true, 5000))
                {
                    throw t.Error("sendmsg", errno, $"notifying the service manager at '{SocketAddress}' ({Describe(state)})");
                }
            }
        }
        finally
        {
            for (int i = 0; i < refs.Length; i++)
            {
                if (refs[i])
                {
                    descriptors[i].DangerousRelease();
                }
            }
        }
    }

    private static string Describe(string state) => state.Length <= 40 ? state.Replace('\n', ' ') : state.Substring(0, 40).Replace('\n', ' ') + "…";
}
