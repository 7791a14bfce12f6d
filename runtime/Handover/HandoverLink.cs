using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Handover;

/// <summary>
/// A generation's link to the broker (<c>fdpass hold</c>): a SOCK_SEQPACKET socket over which the broker
/// introduces this generation to its successor and to its predecessors (INTRODUCE, docs/handover.md). One reader
/// serves both directions, so a generation can wait for predecessors and, later, for its successor at once.
/// </summary>
public sealed class HandoverLink : IDisposable
{
    /// <summary>The environment variable that names the link's descriptor number.</summary>
    public const string EnvironmentVariable = "FDPASS_HANDOVER_FD";

    private readonly FdChannel _channel;
    private readonly HandoverLimits _limits;
    private readonly Channel<HandoverSender> _successors = Channel.CreateUnbounded<HandoverSender>();
    private readonly Channel<HandoverReceiver> _predecessors = Channel.CreateUnbounded<HandoverReceiver>();
    private readonly CancellationTokenSource _stop = new();
    private int _started;
    private int _disposed;

    private HandoverLink(SafeSocketHandle socket, HandoverLimits? limits)
    {
        _channel = FdChannel.FromAccepted(Target.Current.Sockets, socket);
        _limits = limits ?? HandoverLimits.Default;
    }

    /// <summary>
    /// The link a broker passed in <see cref="EnvironmentVariable"/>, or null where there is none (no broker, as
    /// under systemd), or where the number is not an open SOCK_SEQPACKET Unix socket (then it is left alone). The
    /// link owns the descriptor, marks it close-on-exec, and the variable is removed so children do not take it.
    /// </summary>
    public static HandoverLink? FromEnvironment(HandoverLimits? limits = null)
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        Environment.SetEnvironmentVariable(EnvironmentVariable, null);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int fd) || fd < 3)
        {
            return null;
        }
        Target native = Target.Current;
        try
        {
            using var borrowed = new SafeFileHandle(fd, ownsHandle: false);
            if (native.Files.Describe(borrowed, out SocketType type, out bool listening) != DescriptorKind.Socket || type != SocketType.Seqpacket || listening)
            {
                return null;
            }
        }
        catch (FdPassingException)
        {
            return null;
        }
        if (native.Files.TrySetCloseOnExec(fd) is int errno and not 0)
        {
            throw native.Error("fcntl", errno, $"setting FD_CLOEXEC on the handover link (descriptor {fd} from {EnvironmentVariable})");
        }
        return new HandoverLink(new SafeSocketHandle(fd, ownsHandle: true), limits);
    }

    /// <summary>A link over a connected SOCK_SEQPACKET Unix socket (tests, custom brokers); the link takes ownership of it.</summary>
    /// <exception cref="ArgumentException">The handle is not a SOCK_SEQPACKET socket.</exception>
    public static HandoverLink FromHandle(SafeHandle socket, HandoverLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        DescriptorKind kind = Target.Current.Files.Describe(socket, out SocketType type, out _);
        if (kind != DescriptorKind.Socket || type != SocketType.Seqpacket)
        {
            throw new ArgumentException($"A handover link is a SOCK_SEQPACKET Unix socket; this handle is a {kind} ({type}).", nameof(socket));
        }
        return new HandoverLink(HandoverSockets.Own(socket), limits);
    }

    /// <summary>
    /// For an old generation at the start of its drain: the successor the broker introduced, or null where none came
    /// within <paramref name="timeout"/> or the link closed.
    /// </summary>
    public async ValueTask<HandoverSender?> WaitForSuccessorAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Start();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(timeout);
        }
        try
        {
            if (await _successors.Reader.WaitToReadAsync(limit.Token).ConfigureAwait(false) && _successors.Reader.TryRead(out HandoverSender? sender))
            {
                return sender;
            }
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// For a new generation: each predecessor the broker introduces, as it comes. Ends when the link closes or
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<HandoverReceiver> ReceivePredecessorsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Start();
        while (true)
        {
            HandoverReceiver? receiver = null;
            try
            {
                if (await _predecessors.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _predecessors.Reader.TryRead(out receiver);
                }
                else
                {
                    yield break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            if (receiver is not null)
            {
                yield return receiver;
            }
        }
    }

    private void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = PumpAsync();
        }
    }

    /// <summary>Reads the broker's messages and routes each introduction; anything else is closed and dropped.</summary>
    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                FdMessage message;
                try
                {
                    message = await _channel.ReceiveRawAsync(64, 1, _stop.Token).ConfigureAwait(false);
                }
                catch (FdProtocolException)
                {
                    // More than one descriptor, or control data cut off: all were closed; the link itself is fine.
                    continue;
                }
                using (message)
                {
                    if (message.Payload.IsEmpty)
                    {
                        return;
                    }
                    Route(message);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or FdPassingException)
        {
            // Disposed, or the link failed: no more introductions.
        }
        finally
        {
            _successors.Writer.TryComplete();
            _predecessors.Writer.TryComplete();
            if (Volatile.Read(ref _disposed) != 0)
            {
                DrainQueues();
            }
        }
    }

    private void Route(FdMessage message)
    {
        ReadOnlySpan<byte> bytes = message.Payload.Span;
        if (message.DescriptorCount != 1
            || HandoverWire.TryReadHeader(bytes, out HandoverMessageType type) is not null
            || type != HandoverMessageType.Introduce
            || HandoverWire.TryReadIntroduce(bytes.Slice(HandoverWire.HeaderSize), out byte role, out _, out uint peer) is not null)
        {
            return;
        }
        SafeFileHandle handle = message.TakeDescriptor(0);
        HandoverConnection connection;
        try
        {
            if (Target.Current.Files.Describe(handle, out SocketType socketType, out _) != DescriptorKind.Socket || socketType != SocketType.Seqpacket)
            {
                handle.Dispose();
                return;
            }
            connection = HandoverConnection.Adopt(HandoverSockets.Own(handle), _limits);
        }
        catch (Exception e) when (e is FdPassingException or ArgumentException)
        {
            // Not a descriptor this side can use: dropped, the link itself is fine.
            handle.Dispose();
            return;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        bool queued = role == HandoverWire.IntroduceSuccessor
            ? _successors.Writer.TryWrite(new HandoverSender(connection, peer))
            : _predecessors.Writer.TryWrite(new HandoverReceiver(connection, peer));
        if (!queued)
        {
            connection.Dispose();
        }
    }

    private void DrainQueues()
    {
        while (_successors.Reader.TryRead(out HandoverSender? s))
        {
            s.Dispose();
        }
        while (_predecessors.Reader.TryRead(out HandoverReceiver? r))
        {
            r.Dispose();
        }
    }

    /// <summary>Closes the link and every introduction not yet taken.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        _channel.Dispose();
        _successors.Writer.TryComplete();
        _predecessors.Writer.TryComplete();
        DrainQueues();
    }
}
