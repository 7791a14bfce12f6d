using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Protocol;

namespace FdPasser.Platform;

// The two primitives every protocol is built on: send all bytes (descriptors riding with the first), and one
// receive. Each attempt (SendStep, ReceiveStep) is written once; the sync loops wait in poll() through the
// interrupter, the async ones await the transport's readiness (WaitAsync), so the sync path runs no state machine.
internal abstract partial class Connection
{
    /// <summary>
    /// Sends what is left of <paramref name="data"/> from <paramref name="sent"/> on, descriptors with its first byte;
    /// true once all is out, false where the socket is full (wait, then call again).
    /// </summary>
    private bool SendStep(ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, ref int sent, in SendContext context)
    {
        while (sent < data.Length)
        {
            nint n = Transport.TrySend(Handle, data.Slice(sent), sent == 0 ? descriptors : default, out int errno);
            if (n >= 0)
            {
                sent += (int)n;
                continue;
            }
            if (errno != Transport.Constants.EAGAIN)
            {
                throw Transport.Error(Transport.SendCall, errno, context.ToString());
            }
            return false;
        }
        return true;
    }

    /// <summary>One receive: the bytes read (0 at end of stream), or -1 where nothing is there yet (wait, then call again).</summary>
    private int ReceiveStep(Span<byte> data, DescriptorRoom descriptors, out ReceiveResult result, string context)
    {
        nint n = Transport.TryReceive(Handle, data, descriptors, out result, out int errno);
        if (n >= 0)
        {
            return (int)n;
        }
        if (errno != Transport.Constants.EAGAIN)
        {
            throw Transport.Error(Transport.ReceiveCall, errno, context);
        }
        return -1;
    }

    public void SendAll(ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, SendContext context)
    {
        int sent = 0;
        try
        {
            while (!SendStep(data, descriptors, ref sent, context))
            {
                WaitOrThrow(forWrite: true, context);
            }
        }
        catch (Exception e) when (sent > 0)
        {
            BreakAfterPartialSend(e, sent, data.Length);
            throw;
        }
    }

    public int ReceiveSome(Span<byte> data, DescriptorRoom descriptors, out ReceiveResult result, string context)
    {
        int n;
        while ((n = ReceiveStep(data, descriptors, out result, context)) < 0)
        {
            WaitOrThrow(forWrite: false, context);
        }
        return n;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, ReadOnlyMemory<int> descriptors, SendContext context, CancellationToken cancellationToken)
    {
        int sent = 0;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            while (!SendStep(data.Span, descriptors.Span, ref sent, context))
            {
                await WaitAsync(forWrite: true, cancellationToken).ConfigureAwait(false);
                ThrowIfUnusable();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        catch (Exception e) when (sent > 0)
        {
            BreakAfterPartialSend(e, sent, data.Length);
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(int Bytes, ReceiveResult Result)> ReceiveSomeAsync(
        Memory<byte> data, DescriptorRoom descriptors, string context, CancellationToken cancellationToken)
    {
        Exception? waitFailure = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = ReceiveStep(data.Span, descriptors, out ReceiveResult result, context);
            if (n >= 0)
            {
                return (n, result);
            }
            if (waitFailure is not null)
            {
                throw new FdPassingException($"Waiting for the peer failed while {context}: {waitFailure.Message}", waitFailure);
            }
            waitFailure = await WaitAsync(forWrite: false, cancellationToken).ConfigureAwait(false);
            ThrowIfUnusable();
        }
    }

    /// <summary>
    /// Completes when the descriptor may be ready, without blocking a thread. Returns a failure of the wait that the
    /// next call should explain (it is reported where that call still cannot go on), or null.
    /// </summary>
    protected abstract ValueTask<Exception?> WaitAsync(bool forWrite, CancellationToken cancellationToken);

    /// <summary>
    /// Blocks until the descriptor is ready, within the timeout; a disposal (or a break that released the
    /// descriptor) meanwhile wakes it to throw.
    /// </summary>
    protected void WaitOrThrow(bool forWrite, in SendContext context)
    {
        int ready = Interrupter().Wait(Handle, forWrite, TimeoutMilliseconds);
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

    private int TimeoutMilliseconds =>
        Timeout == System.Threading.Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Timeout.TotalMilliseconds, 0, int.MaxValue);

    /// <summary>Once part of a message is out, the peer would read a later message's bytes as its rest.</summary>
    private void BreakAfterPartialSend(Exception e, int sent, int total)
    {
        if (sent < total)
        {
            BreakOutOfStep($"a send stopped after {sent} of a message's {total} bytes ({e.GetType().Name}), so the peer is out of step");
        }
    }
}

/// <summary>
/// What a send was doing, for its error messages. A raw send's or a frame's text names its counts and
/// is formatted only when an error is thrown, so a send that succeeds allocates nothing.
/// </summary>
internal readonly struct SendContext
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
