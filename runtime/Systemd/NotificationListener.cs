using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Systemd;

/// <summary>
/// The manager's end of the notify protocol: a Unix datagram socket with SO_PASSCRED, so the kernel attaches the
/// sender's pid, uid and gid to each notification, and, from Linux 6.5, SO_PASSPIDFD, so the kernel also installs a
/// pidfd of the sender (SCM_PIDFD), which names the sender even after its pid number is reused; the notification owns
/// it and closes it when disposed. Give children its <see cref="Address"/> as NOTIFY_SOCKET.
/// A malformed datagram is refused with <see cref="MalformedNotificationException"/> (its descriptors closed) and
/// the listener keeps receiving. One receive at a time. Linux only (SO_PASSCRED).
/// </summary>
public sealed class NotificationListener : IDisposable
{
    // The kernel delivers at most SCM_MAX_FD (253) descriptors per datagram; room for a few more is never used.
    private const int MaxReceived = 256;

    /// <summary>The largest <see cref="NotificationListenerOptions.MaxMessageBytes"/>: more than any datagram the kernel queues (its send buffer's limit).</summary>
    internal const int MaxMessageBytesLimit = 1 << 20;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly PosixNative _native;
    private readonly NotificationListenerOptions _options;
    private readonly byte[] _buffer;
    private readonly ReceivedDescriptors _received = new(Transports.Socket, MaxReceived);
    private readonly ReceivedDescriptors _receivedPidfd = new(Transports.Socket, 1);
    private readonly string? _path;
    private readonly (ulong Device, ulong Inode)? _identity;
    private readonly Interrupter _interrupter = new(Transports.Socket);
    private int _receiving;
    private int _disposed;

    private NotificationListener(SafeSocketHandle handle, string address, string? path, (ulong, ulong)? identity, NotificationListenerOptions options, PosixNative native)
    {
        _identity = identity;
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
    /// <exception cref="ArgumentOutOfRangeException"><see cref="NotificationListenerOptions.MaxMessageBytes"/> is not 1 to 1 MiB, or <see cref="NotificationListenerOptions.MaxDescriptors"/> is negative.</exception>
    /// <exception cref="FdPassingException">
    /// socket, setsockopt, bind or fchmodat failed (errno named; EADDRINUSE where the path exists; fchmodat refuses a
    /// symlink swapped in for the new socket file instead of following it).
    /// </exception>
    public static NotificationListener Bind(string address, NotificationListenerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        options ??= new NotificationListenerOptions();
        if (options.MaxMessageBytes is < 1 or > MaxMessageBytesLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxMessageBytes,
                $"MaxMessageBytes must be 1 to {MaxMessageBytesLimit} (1 MiB, more than any datagram the kernel queues); systemd reads {ServiceNotifier.MaxMessageBytes}.");
        }
        if (options.MaxDescriptors < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxDescriptors, "MaxDescriptors must not be negative.");
        }
        PosixNative native = PosixNatives.Current;
        SocketTransport t = Transports.Socket;
        bool isAbstract = address[0] == '@';
        string name = isAbstract ? address.Substring(1) : address;
        byte[] sockaddr = t.Address(name, isAbstract);
        SafeSocketHandle handle = native.CreateDatagramSocket();
        try
        {
            native.EnablePassCredentials(handle);
            native.TryEnablePassPidfd(handle);
            t.Bind(handle, sockaddr, address);
            (ulong, ulong)? identity = null;
            if (!isAbstract)
            {
                try
                {
                    // Set without following a symlink someone who may write the directory swapped in for the new
                    // socket file (as FdListener does); the identity taken then is what Dispose may remove.
                    t.SetEndpointMode(name, options.FileMode);
                    identity = FileCalls.Current.TryGetFileIdentity(name);
                }
                catch
                {
                    t.Unlink(name);
                    throw;
                }
            }
            return new NotificationListener(handle, address, isAbstract ? null : name, identity, options, native);
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
        native.TryEnablePassPidfd(handle);
        var options = new NotificationListenerOptions();
        string? path = address[0] == '@' ? null : address;
        // The file at the path now is the one the program before execve bound: only that inode is removed on dispose.
        (ulong, ulong)? identity = path is null ? null : FileCalls.Current.TryGetFileIdentity(path);
        return new NotificationListener(handle, address, path, identity, options, native);
    }

    /// <summary>The socket's address as NOTIFY_SOCKET takes it: a path, or <c>@name</c>.</summary>
    public string Address { get; }

    /// <summary>The socket, for callers that wait on it themselves.</summary>
    public SafeSocketHandle SafeHandle => _handle;

    /// <summary>Waits for the next notification.</summary>
    /// <exception cref="MalformedNotificationException">The next datagram was not a notification (it is consumed).</exception>
    /// <exception cref="InvalidOperationException">Another receive is in progress on this listener.</exception>
    /// <exception cref="ObjectDisposedException">The listener is disposed, before or during the wait.</exception>
    public ServiceNotification Receive()
    {
        using var exclusive = new Exclusive(this);
        while (true)
        {
            ThrowIfDisposed();
            if (TryReceiveOne(out _) is { } notification)
            {
                return notification;
            }
            _interrupter.Wait(_handle, forWrite: false, -1);
        }
    }

    /// <summary>Waits for the next notification without holding a thread.</summary>
    /// <exception cref="MalformedNotificationException">The next datagram was not a notification (it is consumed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing was consumed.</exception>
    /// <exception cref="InvalidOperationException">Another receive is in progress on this listener.</exception>
    /// <exception cref="ObjectDisposedException">The listener is disposed, before or during the wait.</exception>
    public async ValueTask<ServiceNotification> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        using var exclusive = new Exclusive(this);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            if (TryReceiveOne(out _) is { } notification)
            {
                return notification;
            }
            try
            {
                // A zero-byte peek completes when a datagram is waiting and leaves it there.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (Volatile.Read(ref _disposed) != 0)
            {
                // Dispose aborted the peek (OperationAborted): report it as what it is.
                ThrowIfDisposed();
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Holds the listener's one receive: every receive fills the same buffer and descriptor owners, so a second one
    /// at the same time would hand descriptors to the wrong notification.
    /// </summary>
    private readonly struct Exclusive : IDisposable
    {
        private readonly NotificationListener _owner;

        public Exclusive(NotificationListener owner)
        {
            if (Interlocked.Exchange(ref owner._receiving, 1) != 0)
            {
                throw new InvalidOperationException($"Another receive is in progress on the notification listener '{owner.Address}'; one may run at a time.");
            }
            _owner = owner;
        }

        public void Dispose() => Volatile.Write(ref _owner._receiving, 0);
    }

    /// <summary>One notification if one is waiting; null (errno EAGAIN) if none.</summary>
    private ServiceNotification? TryReceiveOne(out int errno)
    {
        nint n = _native.TryReceiveNotification(_handle, _buffer, _received, _receivedPidfd, out NotificationControl control, out errno);
        if (n < 0)
        {
            if (errno == _native.Constants.EAGAIN)
            {
                return null;
            }
            throw _native.Error("recvmsg", errno, $"receiving a notification on '{Address}'");
        }
        // The owners hold every descriptor that came: closed with a refused notification, or handed to the accepted one.
        SafeFileHandle? pidfd = null;
        try
        {
            int count = _received.Count;
            List<KeyValuePair<string, string>>? fields = null;
            string? problem =
                control.DataTruncated ? $"it is longer than {_options.MaxMessageBytes} bytes" :
                control.ControlTruncated ? "its control data was cut off (MSG_CTRUNC: the receiver ran out of descriptors, or too many were sent)" :
                control.Malformed ? "its control data was malformed (a cmsg_len no kernel writes)" :
                control.UnexpectedMessages > 0 ? $"it carried {control.UnexpectedMessages} unexpected control message(s) or descriptor(s)" :
                control.Sender is null ? "it came without the sender's credentials" :
                count > _options.MaxDescriptors ? $"it carried {count} descriptors; at most {_options.MaxDescriptors} are accepted" :
                !NotificationParser.TryParse(_buffer.AsSpan(0, (int)n), out fields, out string? error) ? error : null;
            if (problem is not null)
            {
                _receivedPidfd.CloseAll();
                _received.CloseAll();
                throw new MalformedNotificationException(
                    $"Refused a notification on '{Address}' from {control.Sender?.ToString() ?? "an unknown sender"}: {problem}" +
                    (count > 0 ? $"; its {count} descriptor(s) were closed." : "."),
                    control.Sender, count);
            }
            pidfd = _receivedPidfd.Count > 0 ? _receivedPidfd.TakeSingle() : null;
            FdMessage message = _received.TakeMessage(Array.Empty<byte>(), 0);
            return new ServiceNotification(fields!, control.Sender!.Value, message,
                new SenderPidfd(pidfd, control.SenderPidfd != NotificationControl.NoPidfd));
        }
        catch
        {
            pidfd?.Dispose();
            _receivedPidfd.CloseAll();
            _received.CloseAll();
            throw;
        }
    }

    /// <summary>
    /// Closes the socket and removes its file, only where the path still holds the file this listener bound (same
    /// device and inode): a successor may have bound the path since. A pending receive ends with
    /// <see cref="ObjectDisposedException"/>. Disposing again does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_path is not null && _identity is { } mine)
        {
            try
            {
                if (FileCalls.Current.TryGetFileIdentity(_path) == mine)
                {
                    Transports.Socket.Unlink(_path);
                }
            }
            catch (FdPassingException)
            {
                // Disposal must not throw; a file left behind is refused by the next bind with EADDRINUSE, not followed.
            }
        }
        _interrupter.Signal();
        _socket.Dispose();
    }
}
