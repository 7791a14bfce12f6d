using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Systemd;

/// <summary>
/// The manager's end of the notify protocol: a Unix datagram socket with SO_PASSCRED, so the kernel attaches the
/// sender's pid, uid and gid to each notification. Give children its <see cref="Address"/> as NOTIFY_SOCKET.
/// A malformed datagram is refused with <see cref="MalformedNotificationException"/> (its descriptors closed) and
/// the listener keeps receiving. One receive at a time. Linux only (SO_PASSCRED).
/// </summary>
public sealed class NotificationListener : IDisposable
{
    // The kernel delivers at most SCM_MAX_FD (253) descriptors per datagram; room for a few more is never used.
    private const int DescriptorSlots = 256;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly PosixNative _native;
    private readonly NotificationListenerOptions _options;
    private readonly byte[] _buffer;
    private readonly int[] _descriptors = new int[DescriptorSlots];
    private readonly string? _path;

    private NotificationListener(SafeSocketHandle handle, string address, string? path, NotificationListenerOptions options, PosixNative native)
    {
        _handle = handle;
        _socket = new Socket(handle);
        Address = address;
        _path = path;
        _options = options;
        _native = native;
        _buffer = new byte[options.MaxMessageBytes];
    }

    /// <summary>
    /// Binds a notification socket at <paramref name="address"/>: a filesystem path (removed again on dispose), or
    /// <c>@name</c> for a Linux abstract socket.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The system cannot attach credentials to datagrams.</exception>
    /// <exception cref="FdPassingException">socket, setsockopt or bind failed (errno named; EADDRINUSE where the path exists).</exception>
    public static NotificationListener Bind(string address, NotificationListenerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        options ??= new NotificationListenerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxDescriptors, nameof(options));
        PosixNative native = PosixNatives.Current;
        SocketTransport t = Transports.Socket;
        bool isAbstract = address[0] == '@';
        string name = isAbstract ? address.Substring(1) : address;
        byte[] sockaddr = t.Address(name, isAbstract);
        SafeSocketHandle handle = native.CreateDatagramSocket();
        try
        {
            native.EnablePassCredentials(handle);
            t.Bind(handle, sockaddr, address);
            if (!isAbstract && AbiTargets.RunsOnDescribedOs)
            {
                File.SetUnixFileMode(name, options.FileMode);
            }
            return new NotificationListener(handle, address, isAbstract ? null : name, options, native);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes over a bound notification socket this process already has (handed across execve by
    /// <c>fdpass hold --upgrade</c>), at <paramref name="address"/>; a path given is removed on dispose as if bound here.
    /// </summary>
    internal static NotificationListener Adopt(SafeSocketHandle handle, string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        PosixNative native = PosixNatives.Current;
        native.EnablePassCredentials(handle);
        var options = new NotificationListenerOptions();
        return new NotificationListener(handle, address, address[0] == '@' ? null : address, options, native);
    }

    /// <summary>The socket's address as NOTIFY_SOCKET takes it: a path, or <c>@name</c>.</summary>
    public string Address { get; }

    /// <summary>The socket, for callers that wait on it themselves.</summary>
    public SafeSocketHandle SafeHandle => _handle;

    /// <summary>Waits for the next notification.</summary>
    /// <exception cref="MalformedNotificationException">The next datagram was not a notification (it is consumed).</exception>
    public ServiceNotification Receive()
    {
        while (true)
        {
            if (TryReceiveOne(out int errno) is { } notification)
            {
                return notification;
            }
            Transports.Socket.Poll(_handle, forWrite: false, -1);
        }
    }

    /// <summary>Waits for the next notification without holding a thread.</summary>
    /// <exception cref="MalformedNotificationException">The next datagram was not a notification (it is consumed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was consumed.</exception>
    public async ValueTask<ServiceNotification> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryReceiveOne(out _) is { } notification)
            {
                return notification;
            }
            // A zero-byte peek completes when a datagram is waiting and leaves it there.
            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One notification if one is waiting; null (errno EAGAIN) if none.</summary>
    private ServiceNotification? TryReceiveOne(out int errno)
    {
        nint n = _native.TryReceiveNotification(_handle, _buffer, _descriptors, out NotificationControl control, out errno);
        if (n < 0)
        {
            if (errno == _native.Constants.EAGAIN)
            {
                return null;
            }
            throw _native.Error("recvmsg", errno, $"receiving a notification on '{Address}'");
        }
        ReadOnlySpan<int> fds = _descriptors.AsSpan(0, control.Descriptors);
        List<KeyValuePair<string, string>>? fields = null;
        string? problem =
            control.DataTruncated ? $"it is longer than {_options.MaxMessageBytes} bytes" :
            control.ControlTruncated ? "its control data was cut off (MSG_CTRUNC: the receiver ran out of descriptors, or too many were sent)" :
            control.UnexpectedMessages > 0 ? $"it carried {control.UnexpectedMessages} unexpected control message(s) or descriptor(s)" :
            control.Sender is null ? "it came without the sender's credentials" :
            fds.Length > _options.MaxDescriptors ? $"it carried {fds.Length} descriptors; at most {_options.MaxDescriptors} are accepted" :
            !NotificationParser.TryParse(_buffer.AsSpan(0, (int)n), out fields, out string? error) ? error : null;
        if (problem is not null)
        {
            foreach (int fd in fds)
            {
                Transports.Socket.CloseDescriptor(fd);
            }
            throw new MalformedNotificationException(
                $"Refused a notification on '{Address}' from {control.Sender?.ToString() ?? "an unknown sender"}: {problem}" +
                (fds.Length > 0 ? $"; its {fds.Length} descriptor(s) were closed." : "."),
                control.Sender, fds.Length);
        }
        return new ServiceNotification(fields!, control.Sender!.Value, FdMessage.Create(Array.Empty<byte>(), 0, fds, Transports.Socket));
    }

    /// <summary>Closes the socket and removes its file.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        if (_path is not null)
        {
            Transports.Socket.RemoveEndpointFile(_path);
        }
    }
}
