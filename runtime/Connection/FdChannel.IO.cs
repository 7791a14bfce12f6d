using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

// The two primitives every protocol is built on: send all bytes (descriptors riding with the first), and one
// receive, each waiting for the socket as needed: poll() for sync calls, the runtime's socket engine for async
// receives (a zero-byte receive completes when data is readable and consumes nothing), and the process's one
// ReadinessPoller thread for async sends that meet a full buffer.
public sealed partial class FdChannel
{
    private void SendAll(ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, SendContext context)
    {
        int sent = 0;
        try
        {
            while (sent < data.Length)
            {
                nint n = _transport.TrySend(_handle, data.Slice(sent), sent == 0 ? descriptors : default, out int errno);
                if (n >= 0)
                {
                    sent += (int)n;
                    continue;
                }
                if (errno != _transport.Constants.EAGAIN)
                {
                    throw _transport.Error(_transport.SendCall, errno, context.ToString());
                }
                WaitOrThrow(forWrite: true, context);
            }
        }
        catch (Exception e) when (sent > 0)
        {
            BreakAfterPartialSend(e, sent, data.Length);
            throw;
        }
    }

    private int ReceiveSome(Span<byte> data, DescriptorRoom descriptors, out ReceiveResult result, string context)
    {
        while (true)
        {
            nint n = _transport.TryReceive(_handle, data, descriptors, out result, out int errno);
            if (n >= 0)
            {
                return (int)n;
            }
            if (errno != _transport.Constants.EAGAIN)
            {
                throw _transport.Error(_transport.ReceiveCall, errno, context);
            }
            WaitOrThrow(forWrite: false, context);
        }
    }

    /// <summary>
    /// Blocks until the descriptor is ready, within <see cref="Timeout"/>; a <see cref="Dispose"/> (or a break that
    /// released the descriptor) meanwhile wakes it to throw.
    /// </summary>
    private void WaitOrThrow(bool forWrite, SendContext context)
    {
        Interrupter interrupter = Interrupter();
        int ready = interrupter.Wait(_handle, forWrite, TimeoutMilliseconds);
        if (ready > 0)
        {
            return;
        }
        if (ready < 0)
        {
            ThrowIfUnusable();
        }
        throw new TimeoutException($"Timed out after {Timeout} waiting {(forWrite ? "to send" : "for the peer")} while {context.ToString()}.");
    }

    /// <summary>Once part of a message is out, the peer would read a later message's bytes as its rest.</summary>
    private void BreakAfterPartialSend(Exception e, int sent, int total)
    {
        if (sent < total && _brokenReason is null)
        {
            _brokenReason = $"a send stopped after {sent} of a message's {total} bytes ({e.GetType().Name}), so the peer is out of step";
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, ReadOnlyMemory<int> descriptors, SendContext context, CancellationToken cancellationToken)
    {
        int sent = 0;
        try
        {
            while (sent < data.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                nint n = _transport.TrySend(_handle, data.Span.Slice(sent), sent == 0 ? descriptors.Span : default, out int errno);
                if (n >= 0)
                {
                    sent += (int)n;
                    continue;
                }
                if (errno != _transport.Constants.EAGAIN)
                {
                    throw _transport.Error(_transport.SendCall, errno, context.ToString());
                }
                if (!_transport.UsesSocketEngine)
                {
                    await _transport.WaitAsync(_handle, forWrite: true, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ReadinessPoller.Shared.WaitWritableAsync(_handle, cancellationToken).ConfigureAwait(false);
                }
                ThrowIfUnusable();
            }
        }
        catch (Exception e) when (sent > 0)
        {
            BreakAfterPartialSend(e, sent, data.Length);
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(int Bytes, ReceiveResult Result)> ReceiveSomeAsync(
        Memory<byte> data, DescriptorRoom descriptors, string context, CancellationToken cancellationToken)
    {
        SocketException? waitFailure = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            nint n = _transport.TryReceive(_handle, data.Span, descriptors, out ReceiveResult result, out int errno);
            if (n >= 0)
            {
                return ((int)n, result);
            }
            if (errno != _transport.Constants.EAGAIN)
            {
                throw _transport.Error(_transport.ReceiveCall, errno, context);
            }
            if (!_transport.UsesSocketEngine)
            {
                await _transport.WaitAsync(_handle, forWrite: false, cancellationToken).ConfigureAwait(false);
                ThrowIfUnusable();
                continue;
            }
            if (waitFailure is not null)
            {
                throw new FdPassingException($"Waiting for the peer failed while {context}: {waitFailure.Message}", waitFailure);
            }
            try
            {
                await AsyncSocket().ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                // Disposal aborts the wait; otherwise the socket engine's error codes are not errno values: let
                // recvmsg say what is wrong.
                ThrowIfUnusable();
                waitFailure = e;
            }
            catch (ObjectDisposedException)
            {
                ThrowIfUnusable();
                throw;
            }
            ThrowIfUnusable();
        }
    }

    /// <summary>
    /// What a send was doing, for its error messages. A raw send's or a frame's text names its counts and
    /// is formatted only when an error is thrown, so a send that succeeds allocates nothing.
    /// </summary>
    private readonly struct SendContext
    {
        private readonly string? _text;
        private readonly int _bytes;
        private readonly int _descriptors;

        private SendContext(string? text, int bytes, int descriptors)
        {
            _text = text;
            _bytes = bytes;
            _descriptors = descriptors;
        }

        public static SendContext Raw(int bytes, int descriptors) => new(null, bytes, descriptors);

        public static SendContext Frame(int descriptors) => new(null, -1, descriptors);

        public static implicit operator SendContext(string text) => new(text, 0, 0);

        public override string ToString() =>
            _text ?? (_bytes < 0 ? $"sending a frame with {_descriptors} descriptor(s)" : $"sending {_bytes} byte(s) with {_descriptors} descriptor(s)");
    }

    /// <summary>
    /// Takes a reference on every handle to be sent and writes its number into <paramref name="fds"/>, so none can
    /// be closed (and its number reused) during the send; pair with <see cref="ReleaseRefs"/>.
    /// </summary>
    private static void AddRefs(ReadOnlySpan<SafeHandle> handles, Span<int> fds)
    {
        int referenced = 0;
        try
        {
            for (; referenced < handles.Length; referenced++)
            {
                bool added = false;
                handles[referenced].DangerousAddRef(ref added);
                fds[referenced] = (int)handles[referenced].DangerousGetHandle();
            }
        }
        catch
        {
            ReleaseRefs(handles.Slice(0, referenced));
            throw;
        }
    }

    private static void ReleaseRefs(ReadOnlySpan<SafeHandle> handles)
    {
        foreach (SafeHandle handle in handles)
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Turns a control-data problem of one receive into the exception the caller sees.</summary>
    private string? Describe(in ReceiveResult result) => result.Problem switch
    {
        ControlProblem.None => null,
        ControlProblem.Truncated =>
            $"the kernel truncated the control data (MSG_CTRUNC: the receiver's descriptor limit, RLIMIT_NOFILE, may be reached); {result.Closed} descriptor(s) that did arrive were closed",
        ControlProblem.TooMany =>
            $"more descriptors arrived than this receive accepts; all {result.Closed} were closed",
        ControlProblem.Malformed =>
            $"the control data was malformed (a cmsg_len no kernel writes); {result.Closed} descriptor(s) that did arrive were closed",
        _ =>
            $"an unexpected control message (level {result.UnknownLevel}, type {result.UnknownType}) arrived; {result.Closed} descriptor(s) with it were closed",
    };
}
