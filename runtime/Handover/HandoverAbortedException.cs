using System;

namespace FdPasser.Handover;

/// <summary>
/// A handover ended without a commit: the peer refused, died, timed out, broke the protocol or exceeded a limit.
/// The sender still owns everything it offered; a receiver has closed every descriptor it had received.
/// </summary>
public sealed class HandoverAbortedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HandoverAbortedException(HandoverAbortReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates the exception with no reason code (<see cref="HandoverAbortReason.Aborted"/>).</summary>
    public HandoverAbortedException()
        : this(HandoverAbortReason.Aborted, "The handover was aborted.")
    {
    }

    /// <summary>Creates the exception with no reason code (<see cref="HandoverAbortReason.Aborted"/>).</summary>
    public HandoverAbortedException(string message)
        : this(HandoverAbortReason.Aborted, message)
    {
    }

    /// <summary>Creates the exception with no reason code (<see cref="HandoverAbortReason.Aborted"/>).</summary>
    public HandoverAbortedException(string message, Exception innerException)
        : this(HandoverAbortReason.Aborted, message, innerException)
    {
    }

    /// <summary>Why the handover ended.</summary>
    public HandoverAbortReason Reason { get; }
}
