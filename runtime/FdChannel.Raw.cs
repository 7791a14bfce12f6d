using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

// Raw mode: exactly one sendmsg or recvmsg, for peers with a protocol of their own (Python's socket.send_fds /
// recv_fds, Perl's IO::FDPass, which sends one byte with one descriptor).
public sealed partial class FdChannel
{
    /// <summary>
    /// Sends <paramref name="data"/> (at least one byte) with <paramref name="handles"/> attached to its first byte,
    /// in one sendmsg; what the kernel did not take at once is sent after, without descriptors.
    /// </summary>
    public void SendRaw(ReadOnlySpan<byte> data, ReadOnlySpan<SafeHandle> handles)
    {
        // Checked here as well as below: handles.Length sizes a stack buffer.
        CheckMessage(data.Length, handles.Length);
        Span<int> fds = stackalloc int[handles.Length];
        AddRefs(handles, fds);
        try
        {
            SendRaw(data, fds);
        }
        finally
        {
            ReleaseRefs(handles);
        }
    }

    /// <summary>
    /// One recvmsg of at most <paramref name="maxBytes"/> bytes and <paramref name="maxDescriptors"/> descriptors.
    /// An empty payload means the peer closed the connection. More descriptors than asked for, or truncated
    /// control data, closes all that came and throws <see cref="FdProtocolException"/>.
    /// </summary>
    public FdMessage ReceiveRaw(int maxBytes = 4096, int maxDescriptors = -1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        byte[] buffer = new byte[maxBytes];
        ReceivedDescriptors fds = _connection.RawDescriptors;
        int n = _connection.ReceiveSome(buffer, fds.Room(RawLimit(maxDescriptors)), out ReceiveResult result, "receiving a message");
        return RawResult(buffer, n, fds, result);
    }

    /// <summary>
    /// The allocation-free receive: one recvmsg into <paramref name="data"/>, raw descriptor numbers into
    /// <paramref name="descriptors"/>. The caller owns every number returned and must close it
    /// (<see cref="FdHandles.Close(int)"/>, or wrap it in a SafeFileHandle).
    /// </summary>
    /// <returns>The bytes read; 0 where the peer closed the connection.</returns>
    public int ReceiveRaw(Span<byte> data, Span<int> descriptors, out int descriptorCount)
    {
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        ReceivedDescriptors fds = _connection.RawDescriptors;
        int n = _connection.ReceiveSome(data, fds.Room(descriptors.Length), out ReceiveResult result, "receiving a message");
        ThrowIfControlProblem(result);
        descriptorCount = fds.HandOver(descriptors);
        return n;
    }

    /// <summary>
    /// The allocation-free send: <paramref name="data"/> with raw descriptor numbers the caller keeps owning.
    /// </summary>
    public void SendRaw(ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors)
    {
        if (data.IsEmpty)
        {
            throw new ArgumentException("At least one data byte must carry the descriptors.", nameof(data));
        }
        CheckMessage(data.Length, descriptors.Length);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: true);
        _connection.SendAll(data, descriptors, SendContext.Raw(data.Length, descriptors.Length));
    }

    /// <summary>One recvmsg, asynchronously; see <see cref="ReceiveRaw(int, int)"/>.</summary>
    public async ValueTask<FdMessage> ReceiveRawAsync(int maxBytes = 4096, int maxDescriptors = -1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        byte[] buffer = new byte[maxBytes];
        ReceivedDescriptors fds = _connection.RawDescriptors;
        var (n, result) = await _connection.ReceiveSomeAsync(buffer, fds.Room(RawLimit(maxDescriptors)), "receiving a message", cancellationToken).ConfigureAwait(false);
        return RawResult(buffer, n, fds, result);
    }

    /// <summary>
    /// The allocation-free asynchronous receive: one recvmsg into <paramref name="data"/>, raw descriptor numbers
    /// into <paramref name="descriptors"/>; see <see cref="ReceiveRaw(Span{byte}, Span{int}, out int)"/>. The
    /// caller owns every number returned and must close it. Where data is already waiting it completes
    /// synchronously without allocating; otherwise it waits on the runtime's socket engine.
    /// </summary>
    /// <returns>The bytes read (0 where the peer closed the connection) and the number of descriptors written.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(int Bytes, int DescriptorCount)> ReceiveRawAsync(
        Memory<byte> data, Memory<int> descriptors, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: false);
        _connection.ThrowIfFramesReadAhead();
        ReceivedDescriptors fds = _connection.RawDescriptors;
        var (n, result) = await _connection.ReceiveSomeAsync(data, fds.Room(descriptors.Length), "receiving a message", cancellationToken).ConfigureAwait(false);
        ThrowIfControlProblem(result);
        return (n, fds.HandOver(descriptors.Span));
    }

    /// <summary>
    /// The allocation-free asynchronous send: <paramref name="data"/> (at least one byte) with raw descriptor
    /// numbers the caller keeps owning; see <see cref="SendRaw(ReadOnlySpan{byte}, ReadOnlySpan{int})"/>. Where the
    /// socket buffer has room it completes synchronously without allocating.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> data, ReadOnlyMemory<int> descriptors, CancellationToken cancellationToken = default)
    {
        if (data.IsEmpty)
        {
            throw new ArgumentException("At least one data byte must carry the descriptors.", nameof(data));
        }
        CheckMessage(data.Length, descriptors.Length);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Raw mode");
        using var exclusive = _connection.Begin(send: true);
        await _connection.SendAllAsync(data, descriptors, SendContext.Raw(data.Length, descriptors.Length), cancellationToken).ConfigureAwait(false);
    }

    private int RawLimit(int maxDescriptors) =>
        maxDescriptors < 0 ? Transport.MaxDescriptorsReceived : Math.Min(maxDescriptors, Transport.MaxDescriptorsReceived);

    private FdMessage RawResult(byte[] buffer, int n, ReceivedDescriptors fds, in ReceiveResult result)
    {
        if (ControlFault.Describe(result) is { } problem)
        {
            // The transport's owner closed what came with a rejected receive: there is nothing to hand over.
            throw new FdProtocolException($"Receiving a message failed: {problem}.", result.Closed + fds.CloseAll(), channelBroken: false);
        }
        return fds.TakeMessage(buffer, n);
    }

    /// <summary>A raw receive hands over no descriptor when its control data was rejected (they are closed already).</summary>
    private void ThrowIfControlProblem(in ReceiveResult result)
    {
        if (ControlFault.Describe(result) is { } problem)
        {
            throw new FdProtocolException($"Receiving a message failed: {problem}.", result.Closed, channelBroken: false);
        }
    }
}
