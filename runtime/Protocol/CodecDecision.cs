namespace FdPasser.Protocol;

/// <summary>What one receive fed to a codec amounts to.</summary>
internal enum Verdict : byte
{
    /// <summary>The message is not complete: receive again where the codec says.</summary>
    NeedMore,

    /// <summary>The message was read to its end; the codec's Finish hands it over.</summary>
    Complete,

    /// <summary>The peer closed the connection between messages.</summary>
    CleanEnd,

    /// <summary>The peer closed the connection in the middle of a message (<see cref="CodecDecision.Problem"/> says where).</summary>
    EndedMidMessage,

    /// <summary>The peer broke the protocol: the channel must break (<see cref="CodecDecision.Problem"/> says how).</summary>
    Violation,
}

/// <summary>How a peer broke a protocol, or where it stopped; <see cref="CodecDecision.Describe"/> words it.</summary>
internal enum Problem : byte
{
    None,
    ClosedMidClassic,
    ClosedMidFrameHeader,
    ClosedMidFramePayload,
    FrameWhereClassicExpected,
    ClassicTextTooLong,
    DescriptorsWithClassicText,
    DescriptorsInFrameHeader,
    DescriptorsInFramePayload,
    BadFrameStart,
    BadFrameHeader,
}

/// <summary>
/// A codec's answer to one receive: a verdict, and for a violation or an early end what happened (with the header
/// check's own text where it has one) and how many descriptors were closed with it. Only words: the channel turns it
/// into the exception it throws, in one place.
/// </summary>
internal readonly struct CodecDecision
{
    private CodecDecision(Verdict verdict, Problem problem, string? detail, int closed)
    {
        Verdict = verdict;
        Problem = problem;
        Detail = detail;
        Closed = closed;
    }

    public Verdict Verdict { get; }

    public Problem Problem { get; }

    /// <summary>The frame header check's text for <see cref="Problem.BadFrameStart"/> and <see cref="Problem.BadFrameHeader"/>.</summary>
    public string? Detail { get; }

    /// <summary>Descriptors of the message closed because of the violation.</summary>
    public int Closed { get; }

    public static CodecDecision NeedMore => default;

    public static CodecDecision Complete => new(Verdict.Complete, Problem.None, null, 0);

    public static CodecDecision CleanEnd => new(Verdict.CleanEnd, Problem.None, null, 0);

    public static CodecDecision Ended(Problem where) => new(Verdict.EndedMidMessage, where, null, 0);

    public static CodecDecision Violated(Problem how, int closed, string? detail = null) => new(Verdict.Violation, how, detail, closed);

    /// <summary>True where the caller must stop receiving this message.</summary>
    public bool IsEnd => Verdict >= Verdict.CleanEnd;

    public string Describe() => Problem switch
    {
        Problem.None => Verdict == Verdict.CleanEnd ? "The peer closed the connection." : "",
        Problem.ClosedMidClassic => "The peer closed the connection in the middle of a message.",
        Problem.ClosedMidFrameHeader => "The peer closed the connection in the middle of a frame header.",
        Problem.ClosedMidFramePayload => "The peer closed the connection in the middle of a frame's payload.",
        Problem.FrameWhereClassicExpected =>
            "Receiving a descriptor failed: the peer sent a frame (it begins with \"FD\" and version 1), not a classic message: it speaks the framed protocol (SendFrame), which ReceiveFrame reads",
        Problem.ClassicTextTooLong =>
            $"Receiving a descriptor failed: the peer sent more than {ClassicProtocol.MaxTextLength} bytes of text without the NUL that ends a classic message",
        Problem.DescriptorsWithClassicText =>
            "Receiving a descriptor failed: descriptors arrived with the text of a classic message, where the protocol never puts them",
        Problem.DescriptorsInFrameHeader =>
            "Receiving a frame failed: descriptors arrived after the first byte of a frame's header, where the framed protocol never puts them",
        Problem.DescriptorsInFramePayload =>
            "Receiving a frame failed: descriptors arrived inside a frame's payload, where the framed protocol never puts them",
        _ => "Receiving a frame failed: " + Detail,
    };
}
