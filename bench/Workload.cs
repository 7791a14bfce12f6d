using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Bench;

/// <summary>
/// The pass-K workload of docs/performance.md on the allocation-free raw API: one socketpair; send K copies of
/// the same /dev/null descriptor with a 1-byte payload, receive them, close the received descriptors.
/// </summary>
public sealed class PassWorkload : IDisposable
{
    private readonly FdChannel _sender;
    private readonly FdChannel _receiver;
    private readonly SafeFileHandle _devNull;
    private readonly byte[] _payload = { 0x2a };
    private readonly byte[] _buffer = new byte[1];
    private readonly int[] _send;
    private readonly int[] _received;
    private readonly System.Runtime.InteropServices.SafeHandle[] _sendHandles;

    public PassWorkload(int descriptors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptors);
        (_sender, _receiver) = FdChannel.CreatePair();
        _devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        _send = new int[descriptors];
        Array.Fill(_send, (int)_devNull.DangerousGetHandle());
        _received = new int[Math.Max(1, descriptors)];
        _sendHandles = new System.Runtime.InteropServices.SafeHandle[descriptors];
        Array.Fill(_sendHandles, _devNull);
        Descriptors = descriptors;
    }

    public int Descriptors { get; }

    public FdChannel Sender => _sender;

    public FdChannel Receiver => _receiver;

    public SafeFileHandle DevNull => _devNull;

    /// <summary>One message: sendmsg, recvmsg, K × close.</summary>
    public void Pass()
    {
        _sender.SendRaw(_payload, _send);
        int n = _receiver.ReceiveRaw(_buffer, _received, out int count);
        Check(n, count);
        for (int i = 0; i < count; i++)
        {
            FdHandles.Close(_received[i]);
        }
    }

    /// <summary>The same through the async raw API; every await completes synchronously (data is waiting).</summary>
    public async ValueTask PassAsync()
    {
        await _sender.SendRawAsync(_payload, _send).ConfigureAwait(false);
        var (n, count) = await _receiver.ReceiveRawAsync(_buffer, _received).ConfigureAwait(false);
        Check(n, count);
        for (int i = 0; i < count; i++)
        {
            FdHandles.Close(_received[i]);
        }
    }

    /// <summary>One frame (the framed API most callers use): a 1-byte payload with K descriptors, received as an FdMessage whose handles are disposed.</summary>
    public void PassFramed()
    {
        _sender.SendFrame(_payload, _sendHandles);
        using FdMessage m = _receiver.ReceiveFrame();
        Check(m.Payload.Length, m.DescriptorCount);
    }

    public async ValueTask PassFramedAsync()
    {
        await _sender.SendFrameAsync(_payload, _sendHandles).ConfigureAwait(false);
        using FdMessage m = await _receiver.ReceiveFrameAsync().ConfigureAwait(false);
        Check(m.Payload.Length, m.DescriptorCount);
    }

    /// <summary>The classic protocol: one descriptor per message (pass-1 only).</summary>
    public void PassClassic()
    {
        _sender.SendDescriptor(_devNull);
        _receiver.ReceiveDescriptor().Dispose();
    }

    public async ValueTask PassClassicAsync()
    {
        await _sender.SendDescriptorAsync(_devNull).ConfigureAwait(false);
        (await _receiver.ReceiveDescriptorAsync().ConfigureAwait(false)).Dispose();
    }

    private void Check(int bytes, int count)
    {
        if (bytes != 1 || count != Descriptors)
        {
            throw new InvalidOperationException($"Expected 1 byte and {Descriptors} descriptor(s), got {bytes} and {count}.");
        }
    }

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _devNull.Dispose();
    }
}
