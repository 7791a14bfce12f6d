using System;
using FdPasser.Platform;

namespace FdPasser.Protocol;

/// <summary>
/// The state of one protocol's receive: the message being read and the descriptors that came with it. One lives per
/// channel and protocol, reused from message to message (one receive runs at a time). A codec does no I/O of its own
/// and knows nothing of the channel: receives are fed in, a <see cref="CodecDecision"/> comes out.
/// </summary>
internal abstract class MessageCodec
{
    protected MessageCodec(ReceivedDescriptors descriptors)
    {
        Descriptors = descriptors;
    }

    /// <summary>Every descriptor this message brought, until the message hands them over or fails.</summary>
    public ReceivedDescriptors Descriptors { get; }

    /// <summary>True from the first byte or descriptor of a message until all of it was read.</summary>
    public abstract bool InMessage { get; }

    /// <summary>What a stop in the middle of a message of this protocol is called in errors.</summary>
    public abstract string MessageName { get; }

    /// <summary>True once the message was read to its end: its codec's Finish hands it over.</summary>
    public abstract bool Complete { get; }

    /// <summary>Where the next receive puts bytes: never past the end of what this message may take in one go.</summary>
    public abstract Memory<byte> NextReceive();

    /// <summary>Where the next receive may put descriptors (after <see cref="NextReceive"/>): none where the protocol allows none.</summary>
    public abstract DescriptorRoom Room { get; }

    /// <summary>Feeds in one receive of <paramref name="n"/> bytes into what <see cref="NextReceive"/> returned.</summary>
    public abstract CodecDecision Step(int n, in ReceiveResult result);

    /// <summary>Checks what an earlier receive read ahead, before any receive: it may hold all of the next message.</summary>
    public virtual CodecDecision CheckReadAhead() => CodecDecision.NeedMore;

    /// <summary>
    /// True where a transport that carries the descriptor after the message's bytes (STREAMS) must still deliver
    /// it; the message is not over until <see cref="FollowingDescriptorArrived"/>.
    /// </summary>
    public virtual bool NeedsFollowingDescriptor => false;

    /// <summary>
    /// The STREAMS receive after the bytes is over: it put the descriptor into <see cref="Descriptors"/>, or
    /// something else came instead.
    /// </summary>
    public virtual void FollowingDescriptorArrived()
    {
    }

    /// <summary>Forgets the message read so far (its descriptors are closed or handed over already).</summary>
    public abstract void Reset();

    /// <summary>A control-data problem of this message's receives, reported once the message is read to its end.</summary>
    protected ControlFault Fault;

    /// <summary>Ends a receive that failed: closes every descriptor of the message and forgets it; true where it was half read.</summary>
    public bool Abandon()
    {
        bool midMessage = InMessage;
        Descriptors.CloseAll();
        Reset();
        return midMessage;
    }

    /// <summary>A violation that closes every descriptor the message holds, besides those the receive closed already.</summary>
    protected CodecDecision Violated(Problem how, int closedByReceive = 0, string? detail = null) =>
        CodecDecision.Violated(how, closedByReceive + Descriptors.CloseAll(), detail);
}
