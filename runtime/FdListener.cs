using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;

namespace FdPasser;

/// <summary>Options for <see cref="FdListener.Create(string, FdListenerOptions?)"/>.</summary>
public sealed class FdListenerOptions
{
    /// <summary>The socket file's permissions; owner read/write (0600) by default, so only the owner (and root) can connect.</summary>
    public UnixFileMode FileMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The listen backlog: how many connections may wait to be accepted. Negative (the default) means the system's
    /// maximum, SOMAXCONN (4096 on current Linux), as <c>Socket.Listen()</c> without a backlog does; a burst of clients
    /// beyond the backlog is refused (EAGAIN) or made to wait.
    /// </summary>
    public int Backlog { get; set; } = -1;

    /// <summary>Replace a stale socket file (one nobody listens on) at the path; true by default. Anything that is not a socket is never replaced.</summary>
    public bool ReplaceStaleSocket { get; set; } = true;
}

/// <summary>An accepted connection and who made it (the seed's <c>serv_accept_fh($listener, $uid)</c>).</summary>
/// <param name="Channel">The connection; the caller owns it.</param>
/// <param name="Peer">The connecting process's credentials.</param>
public readonly record struct FdConnection(FdChannel Channel, PeerCredentials Peer);

/// <summary>
/// A server endpoint in the filesystem (the seed's <c>endp_create()</c>): a bound, listening Unix stream socket.
/// It is pollable like the seed's select loop (<see cref="Poll"/>), and removes its socket file when disposed.
/// </summary>
public sealed partial class FdListener : IDisposable
{
    private readonly FdTransport _transport;
    private readonly SafeHandle _handle;
    private readonly bool _ownsFile;
    private readonly Interrupter _interrupter;
    private (ulong Device, ulong Inode)? _identity;
    private int _disposed;

    private FdListener(FdTransport transport, SafeHandle handle, string name, bool isAbstract)
    {
        _transport = transport;
        _handle = handle;
        Path = name;
        IsAbstract = isAbstract;
        _ownsFile = !isAbstract;
        _interrupter = new Interrupter(transport);
    }

    /// <summary>The endpoint's path (or abstract name).</summary>
    public string Path { get; }

    /// <summary>True for a Linux abstract-namespace name, which has no file.</summary>
    public bool IsAbstract { get; }

    /// <summary>The listening socket's handle, e.g. for an event loop of your own.</summary>
    /// <exception cref="NotSupportedException">The listener is a STREAMS endpoint (see <see cref="Handle"/>).</exception>
    public SafeSocketHandle SafeHandle => _handle as SafeSocketHandle ?? throw NotASocket();

    /// <summary>
    /// Creates the endpoint at <paramref name="path"/>. A stale socket file there (nobody listening) is replaced;
    /// anything else at the path is refused and left alone.
    /// </summary>
    /// <exception cref="IOException">Something other than a socket is at the path, or a server is listening there already.</exception>
    /// <exception cref="FdPassingException">socket/bind/listen failed (errno and call in the message).</exception>
    public static FdListener Create(string path, FdListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new FdListenerOptions();
        SocketTransport t = Transports.Socket;
        byte[] address = t.Address(path, isAbstract: false);
        ClearPath(t, path, address, options);
        SafeSocketHandle handle = t.CreateSocket();
        (ulong, ulong)? identity;
        try
        {
            t.Bind(handle, address, path);
            try
            {
                // Nobody can connect before listen(), so setting the mode between bind and listen leaves no window;
                // the mode is set without following a symlink somebody may have swapped in for the new file.
                t.SetEndpointMode(path, options.FileMode);
                identity = FileCalls.Current.TryGetFileIdentity(path);
                t.SetNonBlocking(handle);
                t.Listen(handle, Backlog(t, options.Backlog));
            }
            catch
            {
                t.Unlink(path);
                throw;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new FdListener(t, handle, path, isAbstract: false) { _identity = identity };
    }

    /// <summary>The listen() backlog: the system's maximum (SOMAXCONN) for a negative value, as Socket.Listen() does.</summary>
    private static int Backlog(SocketTransport t, int requested) => requested < 0 ? t.Constants.SOMAXCONN : requested;

    /// <summary>Creates an endpoint with a Linux abstract name: no file, no permissions (any local process may connect; check <see cref="PeerCredentials"/>).</summary>
    /// <param name="name">The abstract name (without the leading NUL).</param>
    /// <param name="backlog">The listen backlog; negative (the default) for the system's maximum, SOMAXCONN.</param>
    public static FdListener CreateAbstract(string name, int backlog = -1)
    {
        ArgumentNullException.ThrowIfNull(name);
        SocketTransport t = Transports.Socket;
        if (!t.SupportsAbstractNames)
        {
            throw new PlatformNotSupportedException("Abstract socket names exist only on Linux.");
        }
        byte[] address = t.Address(name, isAbstract: true);
        SafeSocketHandle handle = t.CreateSocket();
        try
        {
            t.Bind(handle, address, "@" + name);
            t.SetNonBlocking(handle);
            t.Listen(handle, Backlog(t, backlog));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new FdListener(t, handle, name, isAbstract: true);
    }

    private static void ClearPath(SocketTransport t, string path, byte[] address, FdListenerOptions options)
    {
        bool? isSocket = t.IsSocketFile(path);
        if (isSocket is null)
        {
            return;
        }
        if (isSocket == false)
        {
            throw new IOException($"Refusing to create an endpoint at '{path}': something that is not a socket is there. Remove it or choose another path.");
        }
        using SafeSocketHandle probe = t.CreateSocket();
        int errno = t.TryConnect(probe, address);
        if (errno == 0)
        {
            throw new IOException($"Cannot create an endpoint at '{path}': a server is listening there already (EADDRINUSE).");
        }
        if (errno != t.Constants.ECONNREFUSED || !options.ReplaceStaleSocket)
        {
            throw new IOException(
                $"Cannot create an endpoint at '{path}': a socket file is there and connecting to it gave {t.ErrnoName(errno) ?? errno.ToString()}" +
                (options.ReplaceStaleSocket ? "." : "; ReplaceStaleSocket is off."));
        }
        t.Unlink(path);
    }

    /// <summary>Waits until a connection is pending; false on timeout (the seed's select loop).</summary>
    /// <exception cref="ObjectDisposedException">The listener is disposed, before or during the wait.</exception>
    public bool Poll(TimeSpan timeout)
    {
        ThrowIfDisposed();
        int ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        int ready = _interrupter.Wait(_handle, forWrite: false, ms);
        ThrowIfDisposed();
        return ready > 0;
    }

    /// <summary>Accepts a connection, waiting for one; returns it with the peer's credentials.</summary>
    /// <exception cref="ObjectDisposedException">The listener is disposed, before or during the wait.</exception>
    public FdConnection Accept()
    {
        while (true)
        {
            ThrowIfDisposed();
            if (TryAcceptNow() is { } connection)
            {
                return connection;
            }
            _interrupter.Wait(_handle, forWrite: false, -1);
        }
    }

    /// <summary>Accepts a connection without a thread waiting for it (the process's one readiness poller waits).</summary>
    /// <exception cref="ObjectDisposedException">The listener is disposed, before or during the wait.</exception>
    public async ValueTask<FdConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ThrowIfDisposed();
            if (TryAcceptNow() is { } connection)
            {
                return connection;
            }
            await _transport.WaitAsync(_handle, forWrite: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the socket file only where it is still the one this listener bound (same device and inode): after
    /// the file was removed from under it, the path may hold a successor server's socket. Done before the descriptor
    /// closes, while a successor would still find this server alive and refuse to replace it.
    /// </summary>
    private void RemoveOwnFile()
    {
        if (_transport is SocketTransport t && _identity is { } mine)
        {
            if (FileCalls.Current.TryGetFileIdentity(Path) == mine)
            {
                t.Unlink(Path);
            }
            return;
        }
        _transport.RemoveEndpointFile(Path);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 || _handle.IsClosed, this);

    private FdConnection? TryAcceptNow()
    {
        SafeHandle? accepted = _transport.TryAcceptHandle(_handle, out int errno);
        if (accepted is null)
        {
            if (errno == _transport.Constants.EAGAIN)
            {
                return null;
            }
            throw _transport.Error(_transport.AcceptCall, errno, $"accepting a connection on '{Path}'");
        }
        FdChannel channel = FdChannel.FromAccepted(_transport, accepted);
        try
        {
            return new FdConnection(channel, channel.GetPeerCredentials());
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops listening and removes the socket file (if it is still this listener's). A pending <see cref="Accept"/>,
    /// <see cref="AcceptAsync"/> or <see cref="Poll"/> ends at once with <see cref="ObjectDisposedException"/>, and the
    /// descriptor is closed as soon as they have let go of it, so a new server can take the name. The socket is never
    /// shut down: a process sharing it (inherited, or passed on) keeps listening.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_ownsFile)
        {
            try
            {
                RemoveOwnFile();
            }
            catch (FdPassingException)
            {
                // Disposal must not throw; a file that cannot be removed is replaced as stale next time.
            }
        }
        _interrupter.Signal();
        _transport.AbortWaits(_handle);
        _handle.Dispose();
    }
}
