using System;
using System.IO;
using FdPasser.Platform;
using FdPasser.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

public sealed partial class FdChannel
{
    /// <summary>
    /// One classic message being read: its bytes (<see cref="ClassicDecoder"/>) and at most one descriptor, which
    /// may only ride with the NUL or status byte. A descriptor with text bytes, or a message that starts like a
    /// frame, breaks the channel; more than one descriptor is closed and reported once the message is read.
    /// </summary>
    private sealed class ClassicReader : MessageReader
    {
        private ClassicDecoder _decoder = new();
        private int _bytesRead;
        private readonly byte[] _prefix = new byte[4];

        public ClassicReader(FdChannel channel)
            : base(channel, 1)
        {
        }

        private bool _awaitingFollowing;

        public override bool InMessage => ((_bytesRead > 0 || Descriptors.Count > 0) && !_decoder.Complete) || _awaitingFollowing;

        public override string MessageName => "a classic message";

        public bool Complete => _decoder.Complete;

        public int Want => _decoder.Want;

        /// <summary>Room for the one descriptor a message carries; a receive that brings more has them all closed.</summary>
        public DescriptorRoom Room => Descriptors.Room(1);

        public override void Reset()
        {
            _decoder = new ClassicDecoder();
            _bytesRead = 0;
            _awaitingFollowing = false;
            ClearProblem();
        }

        /// <summary>Feeds one receive in; false where the peer closed cleanly between messages.</summary>
        public bool Step(ReadOnlySpan<byte> bytes, in ReceiveResult result)
        {
            int arrived = result.Descriptors + result.Closed;
            if (bytes.Length == 0)
            {
                if (_bytesRead == 0 && Descriptors.Count == 0)
                {
                    return false;
                }
                throw new EndOfStreamException("The peer closed the connection in the middle of a message.");
            }
            for (int i = 0; i < bytes.Length && _bytesRead + i < _prefix.Length; i++)
            {
                _prefix[_bytesRead + i] = bytes[i];
            }
            _bytesRead += bytes.Length;
            if (LooksLikeFrame(arrived))
            {
                throw Channel.Violation(
                    "Receiving a descriptor failed: the peer sent a frame (it begins with \"FD\" and version 1), not a classic message: it speaks the framed protocol (SendFrame), which ReceiveFrame reads",
                    result.Closed + Descriptors.CloseAll());
            }
            if (!_decoder.AddBytes(bytes))
            {
                throw Channel.Violation(
                    $"Receiving a descriptor failed: the peer sent more than {ClassicProtocol.MaxTextLength} bytes of text without the NUL that ends a classic message",
                    Descriptors.CloseAll());
            }
            if (arrived > 0 && !_decoder.SawNul)
            {
                // A classic message's descriptor rides with its NUL and status: anywhere else a peer could make
                // this side hold a descriptor per byte.
                throw Channel.Violation(
                    "Receiving a descriptor failed: descriptors arrived with the text of a classic message, where the protocol never puts them",
                    result.Closed + Descriptors.CloseAll());
            }
            NoteProblem(result, result.Problem == ControlProblem.TooMany
                ? $"more than one descriptor arrived with one classic message, which carries exactly one; all {result.Closed} were closed"
                : null);
            return true;
        }

        /// <summary>
        /// A frame's first bytes, "FD" and version 1: where descriptors came with them (text never carries any), or
        /// where the version and kind bytes follow.
        /// </summary>
        private bool LooksLikeFrame(int arrived) =>
            _bytesRead >= 2 && _prefix[0] == FrameHeader.Magic0 && _prefix[1] == FrameHeader.Magic1
            && ((arrived > 0 && _bytesRead == 2)
                || (_bytesRead >= 4 && _prefix[2] == FrameHeader.Version && (_prefix[3] == FrameHeader.KindMessage || _prefix[3] == FrameHeader.KindError)));

        /// <summary>
        /// True where STREAMS must still deliver the descriptor that follows a success status; the message is not over
        /// until <see cref="FollowingDescriptorArrived"/>.
        /// </summary>
        public bool NeedsFollowingDescriptor
        {
            get
            {
                _awaitingFollowing = _decoder.Complete && _decoder.Status == 0 && Descriptors.Count == 0 && Problem is null;
                return _awaitingFollowing;
            }
        }

        public void FollowingDescriptorArrived() => _awaitingFollowing = false;

        /// <summary>The message's outcome once it is read to its end: the descriptor, or the error it carries.</summary>
        public SafeFileHandle Finish()
        {
            string? problem = Problem;
            int problemClosed = ProblemClosed;
            int status = _decoder.Status;
            string? text = _decoder.Text;
            Reset();
            if (problem is not null)
            {
                int closed = problemClosed + Descriptors.CloseAll();
                throw new FdProtocolException($"Receiving a descriptor failed: {problem}.", closed, channelBroken: false);
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
}
