using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FdPasser.AspNetCore.Transport;

/// <summary>
/// One accepted (or adopted) socket served to Kestrel through two pipes, as Kestrel's socket transport does, but
/// owning the socket so it can also be let go without <c>shutdown()</c> once a successor took a copy of it
/// (<see cref="OwnedSocketConnection"/>'s park, in its other part).
/// </summary>
internal sealed partial class OwnedSocketConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IMemoryPoolFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    // As Kestrel's socket transport: allocate after data is there, at least this much.
    private const int MinAllocBufferSize = 2048;
    private static long s_nextId;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly BoundaryReader _reader;
    private readonly CountingWriter _writer;
    private readonly CancellationTokenSource _closed = new();
    private readonly FeatureCollection _features = new();
    private readonly ConnectionRegistry _registry;
    private readonly byte[]? _unread;
    private IDictionary<object, object?>? _items;
    private string _id;
    private Task _processing = Task.CompletedTask;
    private bool _socketClosed;
    private long _sent;
    private bool _traceFirstRead;
    private bool _traceFirstSend;

    public OwnedSocketConnection(Socket socket, string listenerName, MemoryPool<byte> pool, ConnectionRegistry registry, byte[]? unread = null)
    {
        _socket = socket;
        ListenerName = listenerName;
        MemoryPool = pool;
        _registry = registry;
        _unread = unread is { Length: > 0 } ? unread : null;
        _id = "fdp" + Interlocked.Increment(ref s_nextId).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        // As Kestrel's defaults: 1 MiB / 64 KiB pipe limits; the app's reads on the thread pool; the send loop on the
        // thread pool too, not inline in Kestrel's flush, so the flushes of one response (headers and body, then a
        // chunked response's end) go out in one send, as Kestrel's I/O queue does.
        _input = new Pipe(new PipeOptions(pool, PipeScheduler.ThreadPool, PipeScheduler.Inline, 1024 * 1024, 512 * 1024, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, PipeScheduler.ThreadPool, PipeScheduler.ThreadPool, 64 * 1024, 32 * 1024, useSynchronizationContext: false));
        _reader = new BoundaryReader(_input.Reader, this);
        _writer = new CountingWriter(_output.Writer);
        Transport = new DuplexPipe(_reader, _writer);
        LocalEndPoint = Safe(() => socket.LocalEndPoint);
        RemoteEndPoint = Safe(() => socket.RemoteEndPoint);
        // A connection adopted from a predecessor was proven plain HTTP/1.1 there and starts at a request boundary.
        _capable = unread is not null;
        _traceFirstRead = _traceFirstSend = _capable && FdPasser.AspNetCore.Handover.HandoverTrace.Enabled;
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set(this);
    }

    /// <summary>The name of the inherited listener the connection came through (the handover item's name).</summary>
    public string ListenerName { get; }

    /// <summary>The socket, for the handover (borrowed while offered).</summary>
    public SafeHandle SocketHandle => _socket.SafeHandle;

    public override string ConnectionId { get => _id; set => _id = value; }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public override CancellationToken ConnectionClosed { get => _closed.Token; set => throw new NotSupportedException(); }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public void Start()
    {
        _registry.Add(this);
        if (_traceFirstRead)
        {
            FdPasser.AspNetCore.Handover.HandoverTrace.Mark("start", RemoteEndPoint, _unread?.Length ?? 0);
        }
        _processing = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            if (_unread is not null)
            {
                // The bytes the predecessor had read but not consumed come first.
                await _input.Writer.WriteAsync(_unread).ConfigureAwait(false);
            }
            Task receiving = ReceiveLoopAsync();
            Task sending = SendLoopAsync();
            await receiving.ConfigureAwait(false);
            await sending.ConfigureAwait(false);
        }
        finally
        {
            _registry.Remove(this);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                CancellationToken pause;
                Task<bool>? resumed = null;
                lock (Gate)
                {
                    if (_parking)
                    {
                        _receiveStopped.TrySetResult();
                        resumed = _resume.Task;
                    }
                    pause = _pause.Token;
                }
                if (resumed is not null)
                {
                    if (await resumed.ConfigureAwait(false))
                    {
                        continue;
                    }
                    break; // relinquished: the socket is the successor's now
                }
                try
                {
                    // Wait for data without a buffer (as Kestrel's transport); a park cancels this wait, never a read.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, pause).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (pause.IsCancellationRequested)
                {
                    continue;
                }
                Memory<byte> buffer = _input.Writer.GetMemory(MinAllocBufferSize);
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break; // the client closed its side
                }
                if (_traceFirstRead)
                {
                    _traceFirstRead = false;
                    FdPasser.AspNetCore.Handover.HandoverTrace.Mark("read", RemoteEndPoint, received);
                }
                _input.Writer.Advance(received);
                FlushResult flushed = await _input.Writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break; // Kestrel stopped reading
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset by the peer or closed under us by an abort: Kestrel sees the end of its input, as with its own transport.
            error = e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument }
                || e is ObjectDisposedException ? null : new ConnectionResetException(e.Message, e);
        }
        finally
        {
            _receiveStopped.TrySetResult();
            await _input.Writer.CompleteAsync(error).ConfigureAwait(false);
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);
        }
    }

    private void FireClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await _output.Reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // aborted
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                // After a commit the connection is the successor's: whatever Kestrel writes as it lets go (a 400 for
                // the request line it saw begun, which the successor now serves) must not reach the client.
                foreach (ReadOnlyMemory<byte> segment in Volatile.Read(ref _relinquished) ? ReadOnlySequence<byte>.Empty : buffer)
                {
                    ReadOnlyMemory<byte> left = segment;
                    while (!left.IsEmpty)
                    {
                        int n = await _socket.SendAsync(left, SocketFlags.None).ConfigureAwait(false);
                        left = left[n..];
                    }
                }
                _output.Reader.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    if (_traceFirstSend)
                    {
                        _traceFirstSend = false;
                        FdPasser.AspNetCore.Handover.HandoverTrace.Mark("sent", RemoteEndPoint, buffer.Length);
                    }
                    Volatile.Write(ref _sent, _sent + buffer.Length);
                    OnProgress();
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = e;
        }
        finally
        {
            CloseSocket();
            await _output.Reader.CompleteAsync(error is null ? null : new ConnectionAbortedException(error.Message, error)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the socket as Kestrel's transport does (<c>shutdown(SHUT_RDWR)</c>, then close), except after a handover
    /// committed: then it is only closed, so the successor's copy keeps the connection.
    /// </summary>
    private void CloseSocket()
    {
        TaskCompletionSource<bool> resume;
        TaskCompletionSource<bool>? decision;
        lock (Gate)
        {
            if (_socketClosed)
            {
                return;
            }
            _socketClosed = true;
            resume = _resume;
            decision = _decision;
        }
        // A parked receive loop ends; an offer under way finds the connection gone (the successor's commit then
        // receives a closed connection, as a client's close would leave it).
        resume.TrySetResult(false);
        decision?.TrySetResult(false);
        if (!_relinquished)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
        _socket.Dispose();
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        lock (Gate)
        {
            if (_parking && !_relinquished)
            {
                // Offered to a successor (Kestrel's keep-alive timer): decided by the handover, not shut down under it.
                _abortAfterPark = true;
                return;
            }
        }
        CloseSocket();
        _output.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        await _processing.ConfigureAwait(false);
        _closed.Dispose();
        _pause.Dispose();
    }

    /// <summary>Closes the socket of an adopted connection Kestrel never took (its listener went away): no shutdown.</summary>
    public void CloseUnstarted()
    {
        _relinquished = true;
        _socket.Dispose();
        _closed.Dispose();
        _pause.Dispose();
    }

    private static EndPoint? Safe(Func<EndPoint?> get)
    {
        try
        {
            return get();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
