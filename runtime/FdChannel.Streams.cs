using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;
using FdPasser.Streams;

namespace FdPasser;

// The transport choice and the STREAMS path (illumos): pipe() pairs, connld endpoints, and the classic
// protocol's descriptor that follows its status bytes as an M_PASSFP message of its own (docs/streams.md).
public sealed partial class FdChannel
{
    /// <summary>How this channel passes descriptors: over a Unix socket, or over a STREAMS pipe.</summary>
    public FdTransportKind TransportKind => Transport.Kind;

    /// <summary>The channel's descriptor handle, a socket or a STREAMS pipe end; the channel owns it.</summary>
    public SafeHandle Handle => _connection.Handle;

    /// <summary>
    /// Whether this process can use <paramref name="kind"/>: sockets on Linux, macOS, FreeBSD and illumos;
    /// STREAMS on illumos only. Never throws, also on a platform with neither.
    /// </summary>
    public static bool IsSupported(FdTransportKind kind) => Target.Current.IsSupported(kind);

    /// <summary>
    /// Creates a connected pair over the given transport: <c>socketpair(AF_UNIX, SOCK_STREAM)</c>, or the seed's
    /// SysV <c>spipe()</c>, <c>pipe()</c>, which is a bidirectional STREAMS pipe on illumos. Both ends are close-on-exec.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The transport does not exist on this system.</exception>
    public static (FdChannel First, FdChannel Second) CreatePair(FdTransportKind kind) => kind switch
    {
        FdTransportKind.Socket => CreatePair(),
        FdTransportKind.Streams => CreateStreamsPair(Target.Current.Streams),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a transport."),
    };

    internal static (FdChannel First, FdChannel Second) CreateStreamsPair(StreamsTransport t)
    {
        t.CreatePair(out StreamsHandle a, out StreamsHandle b);
        return (new FdChannel(new StreamsConnection(t, a)), new FdChannel(new StreamsConnection(t, b)));
    }

    /// <summary>
    /// Connects to a STREAMS endpoint (the seed's SysV <c>endp_connect()</c>): <c>open()</c> the path, which
    /// <c>connld</c> answers with a new pipe of this connection's own, and check <c>isastream()</c>.
    /// <see cref="Connect(string)"/> does the same on illumos where the path is not a socket.
    /// </summary>
    /// <exception cref="FdPassingException">open() failed (ENOENT: no endpoint; ENXIO: its server has gone), or isastream() said ENOSTR: nothing is attached to the file.</exception>
    /// <exception cref="PlatformNotSupportedException">This system has no STREAMS.</exception>
    public static FdChannel ConnectStreams(string path) => ConnectStreams(Target.Current.Streams, path);

    internal static FdChannel ConnectStreams(StreamsTransport t, string path) => new(new StreamsConnection(t, t.Connect(path)));

    /// <summary>
    /// Adopts an inherited STREAMS pipe end (a spawned child picking up its end of a STREAMS pair); the channel
    /// owns it from now on and marks it close-on-exec again. Sockets use <see cref="FromDescriptor(int)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The number is not an open STREAMS pipe end (isastream()).</exception>
    /// <exception cref="PlatformNotSupportedException">This system has no STREAMS.</exception>
    public static FdChannel FromStreamsDescriptor(int descriptor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptor);
        StreamsTransport t = Target.Current.Streams;
        return new FdChannel(new StreamsConnection(t, t.AdoptExisting(descriptor)));
    }

    /// <summary>On illumos, a path that exists and is not a socket is tried as a STREAMS endpoint.</summary>
    private static bool IsStreamsEndpoint(string path) =>
        Target.Current.IsSupported(FdTransportKind.Streams) && Target.Current.Sockets.IsSocketFile(path) == false;

    private NotSupportedException NotASocket() => new(
        $"This channel is a {Transport.Kind} endpoint, not a socket; use {nameof(Handle)} for its descriptor.");
}
