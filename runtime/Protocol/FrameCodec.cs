using System;
using System.Buffers.Binary;
using System.Text;
using FdPasser.Platform;

namespace FdPasser.Protocol;

/// <summary>
/// Reads frames through one receive buffer, so that a small frame, header and payload, takes one recvmsg.
/// </summary>
/// <remarks>
/// A receive may bring descriptors only at a frame boundary, with nothing of a frame buffered: it may read as
/// much as fits, several frames or the start of one. A sender attaches a frame's descriptors to the sendmsg of
/// its header, and a stream receive returns the control data of one such sendmsg at most (Linux ends it right
/// after that segment). So the descriptors of such a receive belong to the one frame starting in it that
/// announces descriptors, wherever in the receive its segment was; where none does, the last one takes them
/// (and refuses them as a count mismatch). Every other receive reads exactly the rest of the current frame (never a
/// byte of the next, whose descriptors would come along) and may bring no descriptors: any that arrive mean the
/// stream is out of step, or a peer is making this side hold descriptors, and are a violation. Frames that do not
/// fit in the buffer continue in a payload array of their own, which grows with what arrives, not with what a
/// header announces.
/// </remarks>
internal sealed class FrameCodec : MessageCodec
{
    // Frames up to this size, header included, arrive in one recvmsg.
    private const int ReceiveBufferSize = 4096;

    // Where a payload array of a larger frame starts; it doubles as bytes arrive, up to the announced size.
    private const int FirstPayloadChunk = 64 * 1024;

    private readonly FdTransport _transport;
    private readonly byte[] _buffer = new byte[ReceiveBufferSize];
    private int _start;
    private int _end;
    private int _chunkEnd;
    private bool _withRoom;
    private bool _parsed;
    private FrameHeader _header;
    private byte[]? _payload;
    private int _payloadRead;

    /// <param name="transport">Closes the descriptors of a message nobody takes.</param>
    /// <param name="descriptors">The owner of what receives bring, with room for a whole message's descriptors.</param>
    public FrameCodec(FdTransport transport, ReceivedDescriptors descriptors)
        : base(descriptors)
    {
        _transport = transport;
    }

    /// <summary>The largest payload a header may announce (the channel's MaxFramePayload).</summary>
    public int MaxPayload { get; set; } = 1 << 20;

    public override bool InMessage => _end > _start || _parsed || Descriptors.Count > 0;

    public override string MessageName => "a frame";

    /// <summary>True between receives where bytes or descriptors of a frame not yet returned are held.</summary>
    public bool HasReadAhead => _end > _start || Descriptors.Count > 0;

    public override bool Complete =>
        _parsed && (_payload is null ? _end - _start >= FrameHeader.Size + _header.PayloadLength : _payloadRead == _header.PayloadLength);

    /// <summary>Where the next receive may put descriptors: all a message can carry at a frame boundary, none inside a frame.</summary>
    public override DescriptorRoom Room => Descriptors.Room(_withRoom ? Descriptors.Capacity : 0);

    /// <summary>
    /// Where the next receive puts bytes: the whole buffer at a frame boundary, else exactly the rest of the
    /// current frame's header or payload. Sets <see cref="Room"/> to match.
    /// </summary>
    public override Memory<byte> NextReceive()
    {
        if (_payload is not null)
        {
            _withRoom = false;
            if (_payloadRead == _payload.Length)
            {
                Array.Resize(ref _payload, (int)Math.Min(_header.PayloadLength, 2L * _payload.Length));
            }
            return _payload.AsMemory(_payloadRead);
        }
        if (_start == _end)
        {
            _start = _end = 0;
            _withRoom = Descriptors.Count == 0;
            return _buffer;
        }
        _withRoom = false;
        int want = (_parsed ? FrameHeader.Size + _header.PayloadLength : FrameHeader.Size) - (_end - _start);
        if (_end + want > _buffer.Length)
        {
            // The frame fits in the buffer (a larger one has a payload array): move it to the front.
            System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _chunkEnd -= _start;
            _end -= _start;
            _start = 0;
        }
        return _buffer.AsMemory(_end, want);
    }

    public override void Reset()
    {
        _start = _end = _chunkEnd = 0;
        _withRoom = false;
        _parsed = false;
        _header = default;
        _payload = null;
        _payloadRead = 0;
        Fault.Clear();
    }

    /// <summary>Closes and forgets everything held: the channel is gone.</summary>
    public void Drop()
    {
        Descriptors.CloseAll();
        Reset();
    }

    public override CodecDecision Step(int n, in ReceiveResult result)
    {
        int arrived = result.Descriptors + result.Closed;
        if (arrived > 0 && !_withRoom)
        {
            // With an empty room the transport has closed them already.
            return Violated(_parsed ? Problem.DescriptorsInFramePayload : Problem.DescriptorsInFrameHeader, result.Closed);
        }
        Fault.Note(result);
        if (n == 0)
        {
            if (_withRoom && Descriptors.Count == 0)
            {
                return CodecDecision.CleanEnd;
            }
            return CodecDecision.Ended(_parsed ? Problem.ClosedMidFramePayload : Problem.ClosedMidFrameHeader);
        }
        if (_payload is not null)
        {
            _payloadRead += n;
            return Complete ? CodecDecision.Complete : CodecDecision.NeedMore;
        }
        _end += n;
        if (_withRoom)
        {
            _chunkEnd = _end;
        }
        return CheckHeader();
    }

    public override CodecDecision CheckReadAhead() => _end > _start ? CheckHeader() : CodecDecision.NeedMore;

    private CodecDecision CheckHeader()
    {
        if (!_parsed)
        {
            ReadOnlySpan<byte> start = _buffer.AsSpan(_start, Math.Min(_end - _start, FrameHeader.Size));
            if (FrameHeader.CheckStart(start) is { } mixUp)
            {
                return Violated(Problem.BadFrameStart, detail: mixUp);
            }
            if (start.Length < FrameHeader.Size)
            {
                return CodecDecision.NeedMore;
            }
            if (FrameHeader.TryRead(start, Descriptors.Capacity, MaxPayload, out _header) is { } error)
            {
                return Violated(Problem.BadFrameHeader, detail: error);
            }
            _parsed = true;
            if (FrameHeader.Size + (long)_header.PayloadLength > _buffer.Length)
            {
                // Everything buffered is this frame's (it reaches past the buffer's end): its payload continues in an
                // array of its own.
                int buffered = _end - _start - FrameHeader.Size;
                _payload = new byte[Math.Min(_header.PayloadLength, Math.Max(FirstPayloadChunk, buffered))];
                _buffer.AsSpan(_start + FrameHeader.Size, buffered).CopyTo(_payload);
                _payloadRead = buffered;
                _start = _end = 0;
            }
        }
        return Complete ? CodecDecision.Complete : CodecDecision.NeedMore;
    }

    /// <summary>
    /// The frame, read to its end: a message owning its descriptors, or the error it carries. Bytes and
    /// descriptors of frames read with it stay for the next call.
    /// </summary>
    public FdMessage Finish()
    {
        FrameHeader header = _header;
        byte[] payload;
        bool ownsDescriptors;
        if (_payload is not null)
        {
            payload = _payload;
            ownsDescriptors = true;
            _payload = null;
            _payloadRead = 0;
        }
        else
        {
            payload = _buffer.AsSpan(_start + FrameHeader.Size, header.PayloadLength).ToArray();
            _start += FrameHeader.Size + header.PayloadLength;
            // The last frame of the receive that brought the descriptors takes what no frame before it claimed.
            ownsDescriptors = header.DescriptorCount > 0 || _start >= _chunkEnd;
            if (_start == _end)
            {
                _start = _end = 0;
            }
        }
        _parsed = false;
        _header = default;
        ControlFault fault = ownsDescriptors ? Fault : default;
        if (ownsDescriptors)
        {
            Fault.Clear();
        }
        if (fault.IsSet)
        {
            int closed = fault.Closed + Descriptors.CloseAll();
            throw new FdProtocolException($"Receiving a frame failed: {fault.Describe()}.", closed, channelBroken: false);
        }
        if (header.Kind == FrameHeader.KindError)
        {
            if (ownsDescriptors)
            {
                Descriptors.CloseAll();
            }
            int code = payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
            string? text = payload.Length > 4 ? Encoding.UTF8.GetString(payload, 4, payload.Length - 4) : null;
            throw new FdPeerErrorException(code, text);
        }
        int arrived = ownsDescriptors ? Descriptors.Count : 0;
        if (arrived != header.DescriptorCount)
        {
            int closed = ownsDescriptors ? Descriptors.CloseAll() : 0;
            throw new FdProtocolException(
                $"The frame announced {header.DescriptorCount} descriptor(s) but {arrived} arrived; they were closed.", closed, channelBroken: false);
        }
        return ownsDescriptors
            ? Descriptors.TakeMessage(payload, payload.Length)
            : FdMessage.Create(payload, payload.Length, ReadOnlySpan<int>.Empty, _transport);
    }
}
