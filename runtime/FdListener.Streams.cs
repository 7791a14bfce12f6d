using System;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Streams;

namespace FdPasser;

// STREAMS endpoints (illumos): a pipe with connld pushed on one end, fattach'ed to a path.
public sealed partial class FdListener
{
    /// <summary>How this listener's connections pass descriptors.</summary>
    public FdTransportKind TransportKind => _transport.Kind;

    /// <summary>The listening descriptor's handle, a socket or a STREAMS pipe end, e.g. for an event loop of your own.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>
    /// Creates a STREAMS endpoint at <paramref name="path"/> (the seed's SysV <c>endp_create()</c>): creates the
    /// file with <see cref="FdListenerOptions.FileMode"/> (less the umask), <c>pipe()</c>, <c>I_PUSH "connld"</c>
    /// on one end and <c>fattach()</c> it to the path. Each client's <c>open()</c> then gets a pipe of its own,
    /// which <see cref="Accept"/> takes with <c>ioctl(I_RECVFD)</c>, with the client's uid and gid. A stale endpoint
    /// (its server gone) is replaced where <see cref="FdListenerOptions.ReplaceStaleSocket"/> allows; any other
    /// file is refused and left alone. <see cref="FdListenerOptions.Backlog"/> does not apply. Disposing detaches
    /// the pipe and removes the file.
    /// </summary>
    /// <exception cref="System.IO.IOException">A file, a live endpoint, or (with ReplaceStaleSocket off) a stale one is at the path.</exception>
    /// <exception cref="FdPassingException">open/pipe/ioctl(I_PUSH)/fattach failed (call and errno in the message).</exception>
    /// <exception cref="PlatformNotSupportedException">This system has no STREAMS.</exception>
    public static FdListener CreateStreams(string path, FdListenerOptions? options = null) =>
        CreateStreams(Target.Current.Streams, path, options);

    internal static FdListener CreateStreams(StreamsTransport t, string path, FdListenerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new FdListenerOptions();
        StreamsHandle server = t.Listen(path, (uint)options.FileMode, options.ReplaceStaleSocket);
        return new FdListener(t, server, path, isAbstract: false);
    }

    private NotSupportedException NotASocket() => new(
        $"This listener is a {_transport.Kind} endpoint, not a socket; use {nameof(Handle)} for its descriptor.");
}
