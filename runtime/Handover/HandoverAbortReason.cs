namespace FdPasser.Handover;

/// <summary>Why a handover ended without a commit; also the reason code of an ABORT message (docs/handover.md).</summary>
public enum HandoverAbortReason
{
    /// <summary>The application chose to abort (or gave no reason).</summary>
    Aborted = 0,

    /// <summary>The peer closed the connection or died.</summary>
    PeerClosed = 1,

    /// <summary>The peer sent something that is not the protocol, or a message out of order.</summary>
    ProtocolError = 2,

    /// <summary>The peer announced or sent more than <see cref="HandoverLimits"/> allow.</summary>
    LimitExceeded = 3,

    /// <summary>The peer did not answer within <see cref="HandoverLimits.Timeout"/>.</summary>
    Timeout = 4,

    /// <summary>The two sides speak no common protocol version.</summary>
    VersionMismatch = 5,

    /// <summary>The peer refused the offer (it sent ABORT).</summary>
    Refused = 6,
}
