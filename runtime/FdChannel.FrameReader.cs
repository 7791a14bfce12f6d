using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser;

public sealed partial class FdChannel
{
    /// <summary>
    /// One frame being read: its header, its payload so far and its descriptors. Descriptors are accepted only with
    /// the receive that brings the frame's first byte, where the sender attached them; any later ones mean the
    /// stream is out of step (or a peer is making this side hold descriptors), and break the channel.
    /// </summary>
    private sealed class FrameReader : MessageReader
    {
        // What the payload buffer starts at: it grows with what arrives, not with what a header announces.
        private const int FirstPayloadChunk = 64 * 1024;

        private readonly byte[] _header = new byte[FrameHeader.Size];
        private int _headerRead;
        private FrameHeader _parsed;
        private byte[] _payload = Array.Empty<byte>();
        private int _payloadRead;

        public FrameReader(FdChannel channel, int maxDescriptors)
            : base(channel, maxDescriptors)
        {
        }

        public override bool InMessage => _headerRead > 0 || Descriptors.Count > 0;

        public override string MessageName => "a frame";

        public bool HeaderComplete => _headerRead == FrameHeader.Size;

        public bool Complete => HeaderComplete && _payloadRead == _parsed.PayloadLength;

        /// <summary>Where the next receive may put descriptors: all a message can carry before the first byte, none after.</summary>
        public Span<int> Room => _headerRead == 0 ? Descriptors.Room(Descriptors.Capacity) : Span<int>.Empty;

        public Memory<int> RoomMemory => _headerRead == 0 ? Descriptors.RoomMemory(Descriptors.Capacity) : Memory<int>.Empty;

        /// <summary>Where the next receive puts bytes: the rest of the header, then the payload buffer, grown as needed.</summary>
        public Memory<byte> Buffer
        {
            get
            {
                if (!HeaderComplete)
                {
                    return _header.AsMemory(_headerRead);
                }
                if (_payloadRead == _payload.Length)
                {
                    int size = (int)Math.Min(_parsed.PayloadLength, Math.Max(FirstPayloadChunk, 2L * _payload.Length));
                    Array.Resize(ref _payload, size);
                }
                return _payload.AsMemory(_payloadRead);
            }
        }

        public override void Reset()
        {
            _headerRead = 0;
            _parsed = default;
            _payload = Array.Empty<byte>();
            _payloadRead = 0;
            ClearProblem();
        }

        public void OnReceived(int n, in ReceiveResult result)
        {
            int arrived = result.Descriptors + result.Closed;
            bool first = _headerRead == 0;
            Descriptors.Commit(result.Descriptors);
            if (arrived > 0 && !first)
            {
                // With an empty room the transport has closed them already.
                throw Channel.Violation(
                    HeaderComplete
                        ? "Receiving a frame failed: descriptors arrived inside a frame's payload, where the framed protocol never puts them"
                        : "Receiving a frame failed: descriptors arrived after the first byte of a frame's header, where the framed protocol never puts them",
                    result.Closed + Descriptors.CloseAll());
            }
            NoteProblem(result);
            if (n == 0)
            {
                if (first && Descriptors.Count == 0)
                {
                    throw new EndOfStreamException("The peer closed the connection.");
                }
                throw new EndOfStreamException(HeaderComplete
                    ? "The peer closed the connection in the middle of a frame's payload."
                    : "The peer closed the connection in the middle of a frame header.");
            }
            if (HeaderComplete)
            {
                _payloadRead += n;
                return;
            }
            _headerRead += n;
            if (FrameHeader.CheckStart(_header.AsSpan(0, _headerRead)) is { } mixUp)
            {
                throw Channel.Violation("Receiving a frame failed: " + mixUp, Descriptors.CloseAll());
            }
            if (HeaderComplete)
            {
                if (FrameHeader.TryRead(_header, Descriptors.Capacity, Channel.MaxFramePayload, out _parsed) is { } error)
                {
                    throw Channel.Violation("Receiving a frame failed: " + error, Descriptors.CloseAll());
                }
            }
        }

        /// <summary>The frame, once read to its end: a message owning its descriptors, or the error it carries.</summary>
        public FdMessage Finish()
        {
            FrameHeader header = _parsed;
            byte[] payload = _payload;
            string? problem = Problem;
            int problemClosed = ProblemClosed;
            Reset();
            if (problem is not null)
            {
                int closed = problemClosed + Descriptors.CloseAll();
                throw new FdProtocolException($"Receiving a frame failed: {problem}.", closed, channelBroken: false);
            }
            if (header.Kind == FrameHeader.KindError)
            {
                Descriptors.CloseAll();
                int code = payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(payload) : 0;
                string? text = payload.Length > 4 ? Encoding.UTF8.GetString(payload, 4, payload.Length - 4) : null;
                throw new FdPeerErrorException(code, text);
            }
            if (Descriptors.Count != header.DescriptorCount)
            {
                int arrived = Descriptors.Count;
                int closed = Descriptors.CloseAll();
                throw new FdProtocolException(
                    $"The frame announced {header.DescriptorCount} descriptor(s) but {arrived} arrived; they were closed.", closed, channelBroken: false);
            }
            return Descriptors.TakeMessage(payload);
        }
    }
}
