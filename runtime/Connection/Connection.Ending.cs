using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.ExceptionServices;
using FdPasser.Protocol;

namespace FdPasser.Platform;

// How a receive ends badly: a codec's decision becomes the exception the caller sees here and nowhere else.
internal abstract partial class Connection
{
    /// <summary>Throws where a codec's decision ends the receive: an end of stream, or a violation that breaks the channel.</summary>
    public void ThrowIfEnd(in CodecDecision decision)
    {
        if (decision.IsEnd)
        {
            throw decision.Verdict == Verdict.Violation
                ? Violation(decision.Describe(), decision.Closed)
                : new EndOfStreamException(decision.Describe());
        }
    }

    /// <summary>
    /// Ends a receive that threw (rethrowing <paramref name="e"/> with its own stack trace, or what replaces it): every
    /// descriptor of the message is closed, and a message left half read breaks the channel (its rest would be taken
    /// for the start of the next one). A reset by the peer is reported as the end of stream it is, with its errno inside.
    /// </summary>
    [DoesNotReturn]
    public void Fail(MessageCodec codec, Exception e) => ExceptionDispatchInfo.Throw(Abandon(codec, e) ?? e);

    private Exception? Abandon(MessageCodec codec, Exception e)
    {
        bool midMessage = codec.Abandon();
        if (midMessage)
        {
            BreakOutOfStep(e switch
            {
                TimeoutException => $"a receive timed out in the middle of {codec.MessageName}",
                OperationCanceledException => $"a receive was cancelled in the middle of {codec.MessageName}",
                ObjectDisposedException => $"the channel was disposed in the middle of receiving {codec.MessageName}",
                _ => $"a receive stopped in the middle of {codec.MessageName} ({e.GetType().Name})",
            });
        }
        if (e is FdPassingException { Syscall: { } call, Errno: var errno } reset && errno == Transport.Constants.ECONNRESET && call == Transport.ReceiveCall)
        {
            return new EndOfStreamException(
                midMessage
                    ? $"The peer reset the connection in the middle of {codec.MessageName} (ECONNRESET: it closed with data of ours unread)."
                    : "The peer reset the connection (ECONNRESET: it closed with data of ours unread).",
                reset);
        }
        return null;
    }
}
