using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Protocol;
using FdPasser.Streams;

namespace FdPasser.Platform;

/// <summary>
/// The state of one connected endpoint under an <see cref="FdChannel"/>: the descriptor's handle, who may send and
/// receive (one of each at a time), whether the byte stream is still in step, the interrupter that ends blocking
/// waits on disposal, and the per-connection codecs. Its I/O (send-all, receive-some, the waits) is in
/// Connection.Transfer.cs; what differs between transports in <see cref="SocketConnection"/> and
/// <c>StreamsConnection</c>.
/// </summary>
internal abstract partial class Connection
{
    private int _sending;
    private int _receiving;
    private volatile string? _brokenReason;
    private Interrupter? _interrupter;
    private int _disposed;
    private int _released;
    private ClassicCodec? _classic;
    private FrameCodec? _frames;
    private ReceivedDescriptors? _raw;

    protected Connection(FdTransport transport, SafeHandle handle)
    {
        Transport = transport;
        Handle = handle;
    }

    public FdTransport Transport { get; }

    public SafeHandle Handle { get; }

    /// <summary>How long a synchronous wait lasts; infinite by default.</summary>
    public TimeSpan Timeout { get; set; } = System.Threading.Timeout.InfiniteTimeSpan;

    public bool IsBroken => _brokenReason is not null;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The classic protocol's codec: one descriptor per message.</summary>
    public ClassicCodec Classic => _classic ??= new ClassicCodec(new ReceivedDescriptors(Transport, 1));

    /// <summary>The framed protocol's codec, bounded by <paramref name="maxPayload"/>; null until a frame was received.</summary>
    public FrameCodec Frames(int maxPayload)
    {
        FrameCodec codec = _frames ??= new FrameCodec(Transport, new ReceivedDescriptors(Transport, Transport.MaxDescriptorsReceived));
        codec.MaxPayload = maxPayload;
        return codec;
    }

    /// <summary>Where raw receives put the numbers they install, until a message takes them.</summary>
    public ReceivedDescriptors RawDescriptors => _raw ??= new ReceivedDescriptors(Transport, Transport.MaxDescriptorsReceived);

    /// <summary>
    /// Framed and raw messages attach descriptors to their bytes; a transport that carries each descriptor apart
    /// (STREAMS) refuses them here.
    /// </summary>
    public virtual void RequireAttachedDescriptors(string mode)
    {
    }

    /// <summary>The connection of the kind <paramref name="transport"/> makes, over an accepted or adopted handle.</summary>
    public static Connection Over(FdTransport transport, SafeHandle handle) => transport is StreamsTransport streams
        ? new StreamsConnection(streams, (StreamsHandle)handle)
        : new SocketConnection(transport, handle);

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed || Handle.IsClosed, typeof(FdChannel));

    public void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, typeof(FdChannel));
        if (_brokenReason is { } reason)
        {
            throw new FdProtocolException($"The channel is broken and cannot be used: {reason}", 0, channelBroken: true);
        }
        ObjectDisposedException.ThrowIf(Handle.IsClosed, typeof(FdChannel));
    }

    /// <summary>Takes the send or receive side for one operation; two at once would interleave their bytes.</summary>
    public Exclusive Begin(bool send) => new(this, send);

    public readonly struct Exclusive : IDisposable
    {
        private readonly Connection _owner;
        private readonly bool _send;

        public Exclusive(Connection owner, bool send)
        {
            ref int flag = ref send ? ref owner._sending : ref owner._receiving;
            if (Interlocked.Exchange(ref flag, 1) != 0)
            {
                throw new InvalidOperationException(
                    $"Another {(send ? "send" : "receive")} is in progress on this channel; one of each may run at a time.");
            }
            _owner = owner;
            _send = send;
        }

        public void Dispose()
        {
            if (_send)
            {
                Volatile.Write(ref _owner._sending, 0);
            }
            else
            {
                _owner.EndReceive();
            }
        }
    }

    /// <summary>
    /// Ends a receive. Frames read ahead hold descriptors: where the connection was disposed meanwhile, its Dispose
    /// may have found this receive running and left them, so they are closed here (the flag is released first, so one
    /// of the two always sees the other).
    /// </summary>
    private void EndReceive()
    {
        if (_frames is null)
        {
            // Only a frame receive creates the codec, and none ran meanwhile: there is nothing read ahead.
            Volatile.Write(ref _receiving, 0);
            return;
        }
        Interlocked.Exchange(ref _receiving, 0);
        if (IsDisposed)
        {
            DropFrameReadAhead();
        }
    }

    /// <summary>Closes what the frame codec holds, unless a receive is running (it does so itself when it ends).</summary>
    private void DropFrameReadAhead()
    {
        if (_frames is not { } codec || Interlocked.CompareExchange(ref _receiving, 1, 0) != 0)
        {
            return;
        }
        try
        {
            codec.Drop();
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    /// <summary>
    /// A receive of another protocol would take the bytes of frames already read ahead for their rest: refuse it,
    /// leaving them for ReceiveFrame.
    /// </summary>
    public void ThrowIfFramesReadAhead()
    {
        if (_frames is { HasReadAhead: true })
        {
            throw new InvalidOperationException(
                "Frames sent after the last one received were already read from the socket with it; receive them with ReceiveFrame before any other kind of receive.");
        }
    }

    /// <summary>Wakes every pending operation and closes the descriptor; what frames were read ahead is closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Release();
        DropFrameReadAhead();
    }

    /// <summary>
    /// Wakes every pending operation and closes this end's descriptor. Only the SafeHandle is disposed, never a
    /// .NET Socket over it: disposing a Socket while a thread holds its handle shuts the socket down, for every
    /// process that shares it.
    /// </summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        Interrupter().Signal();
        Transport.AbortWaits(Handle);
        Handle.Dispose();
    }

    protected Interrupter Interrupter()
    {
        Interrupter? existing = Volatile.Read(ref _interrupter);
        if (existing is not null)
        {
            return existing;
        }
        var created = new Interrupter(Transport);
        return Interlocked.CompareExchange(ref _interrupter, created, null) ?? created;
    }

    /// <summary>
    /// The peer broke the protocol: the connection is broken, and its descriptor is released at once so that a peer
    /// still sending (into a receiver that will read no more) gets an error instead of waiting for ever.
    /// </summary>
    private FdProtocolException Violation(string reason, int closed)
    {
        _brokenReason ??= reason;
        Release();
        return new FdProtocolException(reason, closed, channelBroken: true);
    }

    /// <summary>Once part of a message went out or came in, the peer or this side would read the next one out of step.</summary>
    private void BreakOutOfStep(string reason) => _brokenReason ??= reason;
}
