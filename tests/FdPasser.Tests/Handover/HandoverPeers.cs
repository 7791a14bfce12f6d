using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>A handover peer played message by message: sends whatever a test makes, well-formed or not.</summary>
internal sealed class ScriptedPeer : IDisposable
{
    private ScriptedPeer(FdChannel channel)
    {
        Channel = channel;
    }

    public FdChannel Channel { get; }

    /// <summary>A real sender facing a scripted receiver.</summary>
    public static (HandoverSender Sender, ScriptedPeer Peer) ForSender(HandoverLimits? limits = null)
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle a, out SafeSocketHandle b);
        return (new HandoverSender(HandoverConnection.Adopt(a, limits ?? HandoverLimits.Default)), new ScriptedPeer(FdChannel.FromAccepted(Target.Current.Sockets, b)));
    }

    /// <summary>A real receiver facing a scripted sender.</summary>
    public static (HandoverReceiver Receiver, ScriptedPeer Peer) ForReceiver(HandoverLimits? limits = null)
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle a, out SafeSocketHandle b);
        return (new HandoverReceiver(HandoverConnection.Adopt(a, limits ?? HandoverLimits.Default)), new ScriptedPeer(FdChannel.FromAccepted(Target.Current.Sockets, b)));
    }

    public void Send(byte[] message, params SafeHandle[] handles) => Channel.SendRaw(message, handles);

    public void Send(HandoverMessageType type, byte[] body, params SafeHandle[] handles)
    {
        byte[] message = new byte[4 + body.Length];
        message[0] = (byte)type;
        body.CopyTo(message, 4);
        Send(message, handles);
    }

    public void Hello(byte role, params ushort[] versions)
    {
        byte[] buffer = new byte[64];
        int n = HandoverWire.WriteHello(buffer, role, versions.Length == 0 ? [HandoverWire.Version1] : versions);
        Send(buffer[..n]);
    }

    public void Begin(int items, int descriptors, long state)
    {
        byte[] buffer = new byte[32];
        int n = HandoverWire.WriteBegin(buffer, items, descriptors, state);
        Send(buffer[..n]);
    }

    /// <summary>One ITEMS message holding one item.</summary>
    public static byte[] Item(int index, string name, byte[] state, int descriptors)
    {
        var encoder = new OfferEncoder([System.Text.Encoding.UTF8.GetBytes(name)], [state], [descriptors]);
        byte[] buffer = new byte[HandoverWire.MaxMessageBytes];
        int n = encoder.Next(buffer, out _, out _);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), (uint)index);
        return buffer[..n];
    }

    /// <summary>The next message's type (0 at end of file); its descriptors are closed.</summary>
    public async Task<(HandoverMessageType Type, byte[] Bytes)> ReceiveAsync()
    {
        using FdMessage m = await Channel.ReceiveRawAsync(HandoverWire.MaxMessageBytes + 1, cancellationToken: TestContext.Current.CancellationToken);
        byte[] bytes = m.Payload.ToArray();
        return (bytes.Length == 0 ? 0 : (HandoverMessageType)bytes[0], bytes);
    }

    public async Task ExpectAsync(HandoverMessageType type)
    {
        var (got, bytes) = await ReceiveAsync();
        Assert.True(got == type, $"expected {type}, got {got} ({Convert.ToHexString(bytes)})");
    }

    public void Dispose() => Channel.Dispose();
}

/// <summary>
/// Sits between a real sender and a real receiver and forwards messages, descriptors included, until it has
/// forwarded <c>limit</c> of them; then it closes both sides, as if the peer of each had died at that point.
/// </summary>
internal sealed class DyingRelay : IDisposable
{
    private readonly FdChannel _toSender;
    private readonly FdChannel _toReceiver;
    private readonly int _limit;
    private int _forwarded;

    private DyingRelay(FdChannel toSender, FdChannel toReceiver, int limit)
    {
        _toSender = toSender;
        _toReceiver = toReceiver;
        _limit = limit;
    }

    public static (HandoverSender, HandoverReceiver, DyingRelay) Create(int limit, HandoverLimits limits)
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle s, out SafeSocketHandle rs);
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle r, out SafeSocketHandle rr);
        var relay = new DyingRelay(FdChannel.FromAccepted(Target.Current.Sockets, rs), FdChannel.FromAccepted(Target.Current.Sockets, rr), limit);
        if (limit == 0)
        {
            relay.Dispose();
        }
        else
        {
            _ = relay.PumpAsync(relay._toSender, relay._toReceiver);
            _ = relay.PumpAsync(relay._toReceiver, relay._toSender);
        }
        return (new HandoverSender(HandoverConnection.Adopt(s, limits)), new HandoverReceiver(HandoverConnection.Adopt(r, limits)), relay);
    }

    private async Task PumpAsync(FdChannel from, FdChannel to)
    {
        try
        {
            while (true)
            {
                using FdMessage m = await from.ReceiveRawAsync(HandoverWire.MaxMessageBytes + 1);
                if (m.Payload.IsEmpty)
                {
                    break;
                }
                SafeFileHandle[] fds = m.TakeAllDescriptors();
                try
                {
                    to.SendRaw(m.Payload.Span, fds);
                }
                finally
                {
                    foreach (SafeFileHandle fd in fds)
                    {
                        fd.Dispose();
                    }
                }
                if (Interlocked.Increment(ref _forwarded) >= _limit)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is FdPassingException or ObjectDisposedException or InvalidOperationException)
        {
        }
        Dispose();
    }

    public void Dispose()
    {
        _toSender.Dispose();
        _toReceiver.Dispose();
    }
}
