using System;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Protocol;

/// <summary>
/// One classic message being read: its bytes (<see cref="ClassicDecoder"/>) and at most one descriptor, which
/// may only ride with the NUL or status byte. A descriptor with text bytes, or a message that starts like a
/// frame, is a violation; more than one descriptor is closed and reported once the message is read.
/// </summary>
internal sealed class ClassicCodec : MessageCodec
{
    private ClassicDecoder _decoder = new();
    private int _bytesRead;
    private readonly byte[] _prefix = new byte[4];
    private readonly byte[] _bytes = new byte[2];
    private bool _awaitingFollowing;

    public ClassicCodec(ReceivedDescriptors descriptors)
        : base(descriptors)
    {
    }

    public override bool InMessage => ((_bytesRead > 0 || Descriptors.Count > 0) && !_decoder.Complete) || _awaitingFollowing;

    public override string MessageName => "a classic message";

    public override bool Complete => _decoder.Complete;

    /// <summary>How many bytes the next receive may read: never a byte of the next message.</summary>
    public int Want => _decoder.Want;

    /// <summary>Room for the one descriptor a message carries; a receive that brings more has them all closed.</summary>
    public override DescriptorRoom Room => Descriptors.Room(1);

    public override Memory<byte> NextReceive() => _bytes.AsMemory(0, Want);

    public override CodecDecision Step(int n, in ReceiveResult result) => Step(_bytes.AsSpan(0, n), result);

    public override void Reset()
    {
        _decoder = new ClassicDecoder();
        _bytesRead = 0;
        _awaitingFollowing = false;
        Fault.Clear();
    }

    /// <summary>Feeds one receive in: its bytes and what the transport reported of its descriptors.</summary>
    public CodecDecision Step(ReadOnlySpan<byte> bytes, in ReceiveResult result)
    {
        int arrived = result.Descriptors + result.Closed;
        if (bytes.Length == 0)
        {
            return _bytesRead == 0 && Descriptors.Count == 0 ? CodecDecision.CleanEnd : CodecDecision.Ended(Problem.ClosedMidClassic);
        }
        for (int i = 0; i < bytes.Length && _bytesRead + i < _prefix.Length; i++)
        {
            _prefix[_bytesRead + i] = bytes[i];
        }
        _bytesRead += bytes.Length;
        if (LooksLikeFrame(arrived))
        {
            return Violated(Problem.FrameWhereClassicExpected, result.Closed);
        }
        if (!_decoder.AddBytes(bytes))
        {
            return Violated(Problem.ClassicTextTooLong);
        }
        if (arrived > 0 && !_decoder.SawNul)
        {
            // A classic message's descriptor rides with its NUL and status: anywhere else a peer could make this side
            // hold a descriptor per byte.
            return Violated(Problem.DescriptorsWithClassicText, result.Closed);
        }
        Fault.Note(result, oneExpected: true);
        return _decoder.Complete ? CodecDecision.Complete : CodecDecision.NeedMore;
    }

    /// <summary>
    /// A frame's first bytes, "FD" and version 1: where descriptors came with them (text never carries any), or
    /// where the version and kind bytes follow.
    /// </summary>
    private bool LooksLikeFrame(int arrived) =>
        _bytesRead >= 2 && _prefix[0] == FrameHeader.Magic0 && _prefix[1] == FrameHeader.Magic1
        && ((arrived > 0 && _bytesRead == 2)
            || (_bytesRead >= 4 && _prefix[2] == FrameHeader.Version && (_prefix[3] == FrameHeader.KindMessage || _prefix[3] == FrameHeader.KindError)));

    /// <summary>A success status without its descriptor: over STREAMS, the descriptor follows as a message of its own.</summary>
    public override bool NeedsFollowingDescriptor
    {
        get
        {
            _awaitingFollowing = _decoder.Complete && _decoder.Status == 0 && Descriptors.Count == 0 && !Fault.IsSet;
            return _awaitingFollowing;
        }
    }

    public override void FollowingDescriptorArrived() => _awaitingFollowing = false;

    /// <summary>The message's outcome once it is read to its end: the descriptor, or the error it carries.</summary>
    public SafeFileHandle Finish()
    {
        ControlFault fault = Fault;
        int status = _decoder.Status;
        string? text = _decoder.Text;
        Reset();
        if (fault.IsSet)
        {
            int closed = fault.Closed + Descriptors.CloseAll();
            throw new FdProtocolException($"Receiving a descriptor failed: {fault.Describe()}.", closed, channelBroken: false);
        }
        if (status != 0)
        {
            Descriptors.CloseAll();
            throw new FdPeerErrorException(status, text);
        }
        if (Descriptors.Count == 0)
        {
            throw new FdProtocolException("The peer sent status 0 (success) without a descriptor.", 0, channelBroken: false);
        }
        return Descriptors.TakeSingle();
    }
}
