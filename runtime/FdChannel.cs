using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;

namespace FdPasser;

/// <summary>
/// A connected endpoint that passes open descriptors to the process at the other end: the seed's spipe()
/// ends and endp_connect()/serv_accept_fh() connections. It speaks the classic two-byte protocol
/// (<see cref="SendDescriptor(SafeHandle)"/>, <see cref="ReceiveDescriptor"/>) by default, a framed protocol for
/// many descriptors with a payload (<see cref="SendFrame"/>, <see cref="ReceiveFrame"/>), and raw one-message
/// sends and receives for peers with a protocol of their own (<see cref="SendRaw(ReadOnlySpan{byte}, ReadOnlySpan{SafeHandle})"/>, <see cref="ReceiveRaw(int, int)"/>).
/// </summary>
/// <remarks>
/// One send and one receive may run at once (from different threads or as pending async operations);
/// two sends or two receives at once throw <see cref="InvalidOperationException"/>, because their bytes would
/// interleave. Received descriptors are close-on-exec. Sending never closes or takes the caller's handle.
/// </remarks>
public sealed partial class FdChannel : IDisposable, IAsyncDisposable
{
    private readonly Connection _connection;
    private int _maxFramePayload = 1 << 20;

    private FdChannel(Connection connection)
    {
        _connection = connection;
    }

    private FdTransport Transport => _connection.Transport;

    /// <summary>How long a synchronous send or receive waits for the peer; infinite by default.</summary>
    public TimeSpan Timeout
    {
        get => _connection.Timeout;
        set => _connection.Timeout = value;
    }

    /// <summary>
    /// The largest framed payload (1 MiB by default): <see cref="ReceiveFrame"/> refuses a frame that announces more
    /// (a bound on what a hostile peer can make this side allocate), and <see cref="SendFrame"/> refuses to send more.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, or leaves no room for a frame's header in one array.</exception>
    public int MaxFramePayload
    {
        get => _maxFramePayload;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength - Protocol.FrameHeader.Size);
            _maxFramePayload = value;
        }
    }

    /// <summary>The socket's descriptor number, e.g. to hand an inherited end to a child process.</summary>
    public int Descriptor => (int)_connection.Handle.DangerousGetHandle();

    /// <summary>The socket's handle; the channel owns it.</summary>
    /// <exception cref="NotSupportedException">The channel is a STREAMS pipe (see <see cref="Handle"/>).</exception>
    public SafeSocketHandle SafeHandle => _connection.Handle as SafeSocketHandle ?? throw NotASocket();

    /// <summary>
    /// The most descriptors one message can carry when sending from this system (253 on Linux; 252 with musl, whose
    /// sendmsg limits control data to 1,024 bytes). Receives accept what the kernel delivers (253 on Linux with either).
    /// </summary>
    public int MaxDescriptorsPerMessage => Transport.MaxDescriptorsPerMessage;

    /// <summary>
    /// True once the byte stream is out of step: a protocol violation by the peer, or a send or receive that stopped
    /// (time-out, cancellation, error, disposal) after part of a message went out or came in. Every further send and
    /// receive throws <see cref="FdProtocolException"/>; a violation by the peer also closes the descriptor at once, so
    /// the peer's sends fail instead of waiting on a receiver that gave up.
    /// </summary>
    public bool IsBroken => _connection.IsBroken;

    /// <summary>
    /// Creates a connected pair (the seed's <c>spipe()</c>): <c>socketpair(AF_UNIX, SOCK_STREAM)</c>, both ends close-on-exec.
    /// </summary>
    public static (FdChannel First, FdChannel Second) CreatePair()
    {
        var (a, b) = SocketConnection.CreatePair();
        return (new FdChannel(a), new FdChannel(b));
    }

    /// <summary>Connects to a server endpoint at a filesystem path (the seed's <c>endp_connect()</c>).</summary>
    /// <exception cref="FdPassingException">connect() failed: ENOENT (no endpoint), ECONNREFUSED (nobody listening), EACCES.</exception>
    public static FdChannel Connect(string path) => ConnectCore(path, isAbstract: false);

    /// <summary>Connects to a Linux abstract-namespace endpoint (no file; the name is not a path).</summary>
    public static FdChannel ConnectAbstract(string name) => ConnectCore(name, isAbstract: true);

    private static FdChannel ConnectCore(string name, bool isAbstract)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!isAbstract && IsStreamsEndpoint(name))
        {
            return ConnectStreams(Transports.Streams, name);
        }
        return new FdChannel(SocketConnection.Connect(name, isAbstract));
    }

    /// <summary>
    /// Connects asynchronously. A Unix socket connect completes at once unless the server's listen backlog is
    /// full; then it is retried with a growing delay (the kernel offers no readiness event to wait on), without
    /// blocking a thread.
    /// </summary>
    public static async ValueTask<FdChannel> ConnectAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsStreamsEndpoint(path))
        {
            return ConnectStreams(Transports.Streams, path);
        }
        return new FdChannel(await SocketConnection.ConnectAsync(path, cancellationToken).ConfigureAwait(false));
    }

    internal static FdChannel FromAccepted(FdTransport transport, SafeHandle handle) => new(Connection.Over(transport, handle));

    /// <summary>Adopts a connected Unix stream socket; the channel takes ownership of it.</summary>
    /// <exception cref="ArgumentException">It is not a stream socket.</exception>
    public static FdChannel FromSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            throw new ArgumentException($"Descriptors travel over Unix stream sockets; this socket is {socket.AddressFamily}/{socket.SocketType}.", nameof(socket));
        }
        return new FdChannel(new SocketConnection(Transports.Socket, socket.SafeHandle, socket));
    }

    /// <summary>Adopts a connected Unix stream socket's handle; the channel takes ownership of it.</summary>
    public static FdChannel FromHandle(SafeSocketHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new FdChannel(SocketConnection.Adopt(handle, nameof(handle)));
    }

    /// <summary>
    /// Adopts an inherited descriptor number (a spawned child picking up its end of a pair); the channel owns it
    /// from now on and marks it close-on-exec again.
    /// </summary>
    /// <exception cref="ArgumentException">The number is not an open stream socket.</exception>
    public static FdChannel FromDescriptor(int descriptor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptor);
        return new FdChannel(SocketConnection.AdoptDescriptor(descriptor));
    }

    /// <summary>The credentials of the process at the other end, as the kernel recorded them at connect time.</summary>
    public PeerCredentials GetPeerCredentials()
    {
        ThrowIfDisposed();
        return Transport.GetPeerCredentials(_connection.Handle);
    }

    /// <summary>
    /// Lets (or stops) a child process started from now on inherit this end: clears or sets close-on-exec.
    /// Pass <see cref="Descriptor"/> to the child, which adopts it with <see cref="FromDescriptor"/>.
    /// </summary>
    public void SetInheritable(bool inheritable)
    {
        ThrowIfDisposed();
        Transport.SetCloseOnExec(_connection.Handle, !inheritable);
    }

    /// <summary>
    /// Closes the channel; the peer's next receive sees end of stream. Every operation still pending on it, sync or
    /// async, a send, a receive or a wait for the peer, ends at once with <see cref="ObjectDisposedException"/> (what it
    /// had received of a message is closed), and the descriptor is closed as soon as they have let go of it. The
    /// socket is never shut down: another process sharing it keeps a working connection.
    /// </summary>
    public void Dispose() => _connection.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    private void ThrowIfDisposed() => _connection.ThrowIfDisposed();

    private void ThrowIfUnusable() => _connection.ThrowIfUnusable();
}
