using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.ExceptionServices;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

public sealed partial class FdChannel
{
    /// <summary>
    /// The state of one protocol's receive on this channel: the message being read and the descriptors that came
    /// with it. One lives per channel and protocol, reused from message to message (one receive runs at a time).
    /// </summary>
    private abstract class MessageReader
    {
        protected MessageReader(FdChannel channel, int maxDescriptors)
        {
            Channel = channel;
            Descriptors = new ReceivedDescriptors(channel._transport, maxDescriptors);
        }

        protected FdChannel Channel { get; }

        /// <summary>Every descriptor this message brought, until the message hands them over or fails.</summary>
        public ReceivedDescriptors Descriptors { get; }

        /// <summary>True from the first byte or descriptor of a message until all of it was read.</summary>
        public abstract bool InMessage { get; }

        /// <summary>What a stop in the middle of a message of this protocol is called in errors.</summary>
        public abstract string MessageName { get; }

        /// <summary>Forgets the message read so far (its descriptors are closed or handed over already).</summary>
        public abstract void Reset();

        /// <summary>Turns a control-data problem of one receive into text, kept until the message is read to its end.</summary>
        protected string? Problem { get; private set; }

        protected int ProblemClosed { get; private set; }

        protected void NoteProblem(in ReceiveResult result, string? text = null)
        {
            if (result.Problem == ControlProblem.None)
            {
                return;
            }
            // The bytes are intact (the kernel cut only control data, e.g. at RLIMIT_NOFILE): read the rest of the
            // message to stay in step, then report.
            Problem ??= text ?? Channel.Describe(result);
            ProblemClosed += result.Closed;
        }

        protected void ClearProblem()
        {
            Problem = null;
            ProblemClosed = 0;
        }
    }

    /// <summary>
    /// Ends a receive that threw (rethrowing <paramref name="e"/> with its own stack trace, or what replaces it): every descriptor of the message is closed, and a message left half read breaks the
    /// channel (its rest would be taken for the start of the next one). A reset by the peer is reported as the end
    /// of stream it is, with its errno inside. Returns an exception to throw instead of <paramref name="e"/>, or null.
    /// </summary>
    [DoesNotReturn]
    private void Fail(MessageReader reader, Exception e) => ExceptionDispatchInfo.Throw(Abandon(reader, e) ?? e);

    private Exception? Abandon(MessageReader reader, Exception e)
    {
        bool midMessage = reader.InMessage;
        reader.Descriptors.CloseAll();
        reader.Reset();
        if (midMessage && _brokenReason is null)
        {
            _brokenReason = e switch
            {
                TimeoutException => $"a receive timed out in the middle of {reader.MessageName}",
                OperationCanceledException => $"a receive was cancelled in the middle of {reader.MessageName}",
                ObjectDisposedException => $"the channel was disposed in the middle of receiving {reader.MessageName}",
                _ => $"a receive stopped in the middle of {reader.MessageName} ({e.GetType().Name})",
            };
        }
        if (e is FdPassingException { Syscall: { } call, Errno: var errno } reset && errno == _transport.Constants.ECONNRESET && call == _transport.ReceiveCall)
        {
            return new EndOfStreamException(
                midMessage
                    ? $"The peer reset the connection in the middle of {reader.MessageName} (ECONNRESET: it closed with data of ours unread)."
                    : "The peer reset the connection (ECONNRESET: it closed with data of ours unread).",
                reset);
        }
        return null;
    }
}
