using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

// Framed mode: many descriptors with a payload per message, each frame's descriptors bound to that frame
// (docs/wire-format.md).
public sealed partial class FdChannel
{
    /// <summary>
    /// Sends a frame: <paramref name="payload"/> with up to <see cref="MaxDescriptorsPerMessage"/> descriptors.
    /// The caller keeps its handles. The peer reads it with <see cref="ReceiveFrame"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Too many descriptors for one message: nothing was sent.</exception>
    public void SendFrame(ReadOnlySpan<byte> payload, ReadOnlySpan<SafeHandle> handles)
    {
        CheckFrame(payload.Length, handles.Length);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Framed mode");
        using var exclusive = _connection.Begin(send: true);
        // Small frames are built on the stack and the descriptor numbers always are: a send allocates nothing.
        int length = FrameHeader.Size + payload.Length;
        Span<byte> frame = length <= StackFrameLimit ? stackalloc byte[length] : new byte[length];
        new FrameHeader(FrameHeader.KindMessage, handles.Length, payload.Length).Write(frame);
        payload.CopyTo(frame.Slice(FrameHeader.Size));
        Span<int> fds = stackalloc int[handles.Length];
        AddRefs(handles, fds);
        try
        {
            _connection.SendAll(frame, fds, SendContext.Frame(handles.Length));
        }
        finally
        {
            ReleaseRefs(handles);
        }
    }

    private const int StackFrameLimit = 1024;

    /// <summary>Sends an error frame: the peer's <see cref="ReceiveFrame"/> throws <see cref="FdPeerErrorException"/>.</summary>
    public void SendFrameError(int errorCode, string? message = null)
    {
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Framed mode");
        using var exclusive = _connection.Begin(send: true);
        _connection.SendAll(ErrorFrame(errorCode, message), default, "sending an error frame");
    }

    /// <summary>Sends a frame asynchronously; see <see cref="SendFrame"/>.</summary>
    public async ValueTask SendFrameAsync(ReadOnlyMemory<byte> payload, ReadOnlyMemory<SafeHandle> handles, CancellationToken cancellationToken = default)
    {
        CheckFrame(payload.Length, handles.Length);
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Framed mode");
        using var exclusive = _connection.Begin(send: true);
        byte[] frame = BuildFrame(FrameHeader.KindMessage, handles.Length, payload.Span);
        // One send runs at a time (Exclusive): the numbers go into an array the channel keeps for its sends.
        Memory<int> fds = (_frameSendScratch ??= new int[Transport.MaxDescriptorsPerMessage]).AsMemory(0, handles.Length);
        AddRefs(handles.Span, fds.Span);
        try
        {
            await _connection.SendAllAsync(frame, fds, SendContext.Frame(handles.Length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseRefs(handles.Span);
        }
    }

    private int[]? _frameSendScratch;

    private void CheckFrame(int payloadLength, int descriptors)
    {
        if (payloadLength > MaxFramePayload)
        {
            throw new ArgumentException(
                $"The payload is {payloadLength} bytes; this channel's MaxFramePayload is {MaxFramePayload}, and a peer with the same limit would refuse it. Nothing was sent.",
                "payload");
        }
        CheckMessage(payloadLength, descriptors);
    }

    private void CheckMessage(int payloadLength, int descriptors)
    {
        if (descriptors > MaxDescriptorsPerMessage)
        {
            throw new ArgumentException(
                $"{descriptors} descriptors do not fit in one message: this system passes at most {MaxDescriptorsPerMessage}. Nothing was sent.",
                "handles");
        }
        if (payloadLength > int.MaxValue - FrameHeader.Size)
        {
            throw new ArgumentException("The payload is too large for one frame.", "payload");
        }
    }

    private static byte[] BuildFrame(byte kind, int descriptors, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, descriptors, payload.Length).Write(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    private static byte[] ErrorFrame(int errorCode, string? message)
    {
        byte[] text = Encoding.UTF8.GetBytes(message ?? "");
        byte[] payload = new byte[4 + text.Length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, errorCode);
        text.CopyTo(payload, 4);
        return BuildFrame(FrameHeader.KindError, 0, payload);
    }

    /// <summary>
    /// Receives one frame. Dispose the returned message (or take its descriptors) so that no descriptor leaks.
    /// </summary>
    /// <remarks>
    /// A small frame (header and payload up to 4 KiB) takes one recvmsg, which may also bring frames sent after it;
    /// they are kept for the next calls, and another kind of receive is refused while they are held.
    /// </remarks>
    /// <exception cref="FdPeerErrorException">The peer sent an error frame.</exception>
    /// <exception cref="FdProtocolException">A malformed frame, descriptors that do not match the frame, or the classic protocol where a frame was expected; what came was closed.</exception>
    /// <exception cref="EndOfStreamException">The peer closed (or reset) the connection.</exception>
    public FdMessage ReceiveFrame()
    {
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Framed mode");
        using var exclusive = _connection.Begin(send: false);
        FrameCodec codec = _connection.Frames(MaxFramePayload);
        if (!_connection.ReceiveMessage(codec, "receiving a frame"))
        {
            throw new EndOfStreamException("The peer closed the connection.");
        }
        // The frame was read to its end: what Finish refuses leaves the stream in step.
        return codec.Finish();
    }

    /// <summary>Receives one frame asynchronously; see <see cref="ReceiveFrame"/>.</summary>
    public async ValueTask<FdMessage> ReceiveFrameAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        _connection.RequireAttachedDescriptors("Framed mode");
        using var exclusive = _connection.Begin(send: false);
        FrameCodec codec = _connection.Frames(MaxFramePayload);
        if (!await _connection.ReceiveMessageAsync(codec, "receiving a frame", cancellationToken).ConfigureAwait(false))
        {
            throw new EndOfStreamException("The peer closed the connection.");
        }
        return codec.Finish();
    }
}
