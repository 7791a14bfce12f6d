using System;
using System.Linq;
using FdPasser.Platform;
using FdPasser.Protocol;
using static FdPasser.Tests.Protocol.CodecFeed;

namespace FdPasser.Tests.Protocol;

/// <summary>The frame codec fed bytes directly: no channel, no socket.</summary>
public class FrameCodecTests
{
    private static FrameCodec NewCodec(int maxDescriptors = 4) => new(Transport, new ReceivedDescriptors(Transport, maxDescriptors));

    /// <summary>One receive: copies <paramref name="bytes"/> where the codec asks (as much as fits) with descriptors.</summary>
    private static CodecDecision Receive(FrameCodec codec, ReadOnlySpan<byte> bytes, params int[] fds)
    {
        Memory<byte> into = codec.NextReceive();
        int n = Math.Min(into.Length, bytes.Length);
        bytes.Slice(0, n).CopyTo(into.Span);
        ReceiveResult result = fds.Length == 0 || codec.Room.Limit == 0 ? Nothing : Arrive(codec.Room, fds);
        if (fds.Length > 0 && codec.Room.Limit == 0)
        {
            // The transport closes what finds no room; the codec is told how many.
            foreach (int fd in fds)
            {
                FdHandles.Close(fd);
            }
            result = new ReceiveResult(n, 0, ControlProblem.TooMany, fds.Length, 0, 0);
        }
        return codec.Step(n, result);
    }

    [Fact]
    public void A_frame_in_one_receive_completes_with_its_payload_and_descriptors()
    {
        FrameCodec codec = NewCodec();
        int a = NewFd(), b = NewFd();
        Assert.Equal(Verdict.Complete, Receive(codec, Frame(FrameHeader.KindMessage, 2, "hello"u8.ToArray()), a, b).Verdict);
        using FdMessage message = codec.Finish();
        Assert.Equal("hello"u8.ToArray(), message.Payload.ToArray());
        Assert.Equal(2, message.DescriptorCount);
        Assert.False(codec.HasReadAhead);
    }

    [Fact]
    public void Frames_read_ahead_with_one_are_kept_for_the_next_without_another_receive()
    {
        FrameCodec codec = NewCodec();
        byte[] two = Frame(0, 0, "one"u8.ToArray()).Concat(Frame(0, 0, "two"u8.ToArray())).ToArray();
        Assert.Equal(Verdict.Complete, Receive(codec, two).Verdict);
        using (FdMessage first = codec.Finish())
        {
            Assert.Equal("one"u8.ToArray(), first.Payload.ToArray());
        }
        Assert.True(codec.HasReadAhead);
        Assert.Equal(Verdict.Complete, codec.CheckReadAhead().Verdict);
        using FdMessage second = codec.Finish();
        Assert.Equal("two"u8.ToArray(), second.Payload.ToArray());
    }

    [Fact]
    public void A_header_in_pieces_asks_for_exactly_its_rest_and_descriptors_there_are_a_violation()
    {
        FrameCodec codec = NewCodec();
        byte[] frame = Frame(0, 0, new byte[3]);
        Assert.Equal(Verdict.NeedMore, Receive(codec, frame.AsSpan(0, 4)).Verdict);
        Assert.Equal(FrameHeader.Size - 4, codec.NextReceive().Length);
        Assert.Equal(0, codec.Room.Limit);
        int fd = NewFd();
        CodecDecision decision = Receive(codec, frame.AsSpan(4), fd);
        Assert.Equal(Verdict.Violation, decision.Verdict);
        Assert.Equal(Problem.DescriptorsInFrameHeader, decision.Problem);
        Assert.False(IsOpen(fd));
    }

    [Fact]
    public void Descriptors_inside_a_payload_are_a_violation()
    {
        FrameCodec codec = NewCodec();
        byte[] frame = Frame(0, 0, new byte[8]);
        Receive(codec, frame.AsSpan(0, FrameHeader.Size + 2));
        Assert.Equal(Problem.DescriptorsInFramePayload, Receive(codec, frame.AsSpan(FrameHeader.Size + 2), NewFd()).Problem);
    }

    [Fact]
    public void A_classic_message_where_a_frame_was_expected_is_named_as_such()
    {
        FrameCodec codec = NewCodec();
        int fd = NewFd();
        CodecDecision decision = Receive(codec, new byte[] { 0, 0 }, fd);
        Assert.Equal(Problem.BadFrameStart, decision.Problem);
        Assert.Contains("classic protocol", decision.Describe());
        Assert.Equal(1, decision.Closed);
        Assert.False(IsOpen(fd));
    }

    [Fact]
    public void A_payload_above_the_limit_is_refused_from_its_header()
    {
        FrameCodec codec = NewCodec();
        codec.MaxPayload = 16;
        byte[] header = new byte[FrameHeader.Size];
        new FrameHeader(0, 0, 17).Write(header);
        CodecDecision decision = Receive(codec, header);
        Assert.Equal(Problem.BadFrameHeader, decision.Problem);
        Assert.Contains("at most 16", decision.Describe());
    }

    [Fact]
    public void The_end_of_stream_is_clean_only_at_a_frame_boundary()
    {
        Assert.Equal(Verdict.CleanEnd, Receive(NewCodec(), ReadOnlySpan<byte>.Empty).Verdict);
        FrameCodec codec = NewCodec();
        Receive(codec, Frame(0, 0, new byte[4]).AsSpan(0, 3));
        Assert.Equal(Problem.ClosedMidFrameHeader, Receive(codec, ReadOnlySpan<byte>.Empty).Problem);
        codec = NewCodec();
        Receive(codec, Frame(0, 0, new byte[4]).AsSpan(0, FrameHeader.Size + 1));
        Assert.Equal(Problem.ClosedMidFramePayload, Receive(codec, ReadOnlySpan<byte>.Empty).Problem);
    }

    [Fact]
    public void Descriptors_the_header_did_not_announce_are_closed_and_reported_without_a_violation()
    {
        FrameCodec codec = NewCodec();
        int fd = NewFd();
        Assert.Equal(Verdict.Complete, Receive(codec, Frame(0, 0, "x"u8.ToArray()), fd).Verdict);
        var error = Assert.Throws<FdProtocolException>(() => codec.Finish());
        Assert.False(error.ChannelBroken);
        Assert.Equal(1, error.DescriptorsClosed);
        Assert.False(IsOpen(fd));
    }

    [Fact]
    public void An_error_frame_is_the_peer_error_it_carries()
    {
        FrameCodec codec = NewCodec();
        byte[] payload = new byte[] { 42, 0, 0, 0 }.Concat("why"u8.ToArray()).ToArray();
        Receive(codec, Frame(FrameHeader.KindError, 0, payload));
        var error = Assert.Throws<FdPeerErrorException>(() => codec.Finish());
        Assert.Equal(42, error.ErrorCode);
        Assert.Equal("why", error.PeerMessage);
    }

    [Fact]
    public void A_frame_larger_than_the_buffer_continues_in_its_own_array()
    {
        FrameCodec codec = NewCodec();
        byte[] payload = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        byte[] frame = Frame(0, 0, payload);
        int offset = 0;
        CodecDecision decision = default;
        while (decision.Verdict == Verdict.NeedMore)
        {
            int before = codec.NextReceive().Length;
            decision = Receive(codec, frame.AsSpan(offset));
            offset += Math.Min(before, frame.Length - offset);
        }
        Assert.Equal(Verdict.Complete, decision.Verdict);
        using FdMessage message = codec.Finish();
        Assert.Equal(payload, message.Payload.ToArray());
    }
}
