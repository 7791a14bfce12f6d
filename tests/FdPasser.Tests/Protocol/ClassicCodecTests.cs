using System;
using System.Text;
using FdPasser.Platform;
using FdPasser.Protocol;
using static FdPasser.Tests.Protocol.CodecFeed;

namespace FdPasser.Tests.Protocol;

/// <summary>The classic codec fed bytes directly: no channel, no socket.</summary>
public class ClassicCodecTests
{
    private static ClassicCodec NewCodec() => new(new ReceivedDescriptors(Transport, 1));

    [Fact]
    public void A_success_status_with_its_descriptor_completes_and_hands_the_descriptor_over()
    {
        ClassicCodec codec = NewCodec();
        int fd = NewFd();
        Assert.Equal(2, codec.Want);
        CodecDecision decision = codec.Step(new byte[] { 0, 0 }, Arrive(codec.Room, fd));
        Assert.Equal(Verdict.Complete, decision.Verdict);
        using var handle = codec.Finish();
        Assert.Equal(fd, (int)handle.DangerousGetHandle());
        Assert.False(codec.InMessage);
    }

    [Fact]
    public void Bytes_arriving_one_at_a_time_never_ask_past_the_status_byte()
    {
        ClassicCodec codec = NewCodec();
        Assert.Equal(Verdict.NeedMore, codec.Step("e"u8, Nothing).Verdict);
        Assert.Equal(Verdict.NeedMore, codec.Step(new byte[] { 0 }, Nothing).Verdict);
        Assert.Equal(1, codec.Want);
        Assert.True(codec.InMessage);
        Assert.Equal(Verdict.Complete, codec.Step(new byte[] { 7 }, Nothing).Verdict);
        var error = Assert.Throws<FdPeerErrorException>(() => codec.Finish());
        Assert.Equal(7, error.ErrorCode);
        Assert.Equal("e", error.PeerMessage);
    }

    [Fact]
    public void No_bytes_between_messages_is_a_clean_end_and_inside_one_an_early_end()
    {
        Assert.Equal(Verdict.CleanEnd, NewCodec().Step(ReadOnlySpan<byte>.Empty, Nothing).Verdict);
        ClassicCodec codec = NewCodec();
        codec.Step("x"u8, Nothing);
        CodecDecision decision = codec.Step(ReadOnlySpan<byte>.Empty, Nothing);
        Assert.Equal(Verdict.EndedMidMessage, decision.Verdict);
        Assert.Equal(Problem.ClosedMidClassic, decision.Problem);
    }

    [Fact]
    public void A_frame_where_a_classic_message_was_expected_is_a_violation_that_closes_its_descriptor()
    {
        ClassicCodec codec = NewCodec();
        int fd = NewFd();
        CodecDecision decision = codec.Step("FD"u8, Arrive(codec.Room, fd));
        Assert.Equal(Verdict.Violation, decision.Verdict);
        Assert.Equal(Problem.FrameWhereClassicExpected, decision.Problem);
        Assert.Equal(1, decision.Closed);
        Assert.False(IsOpen(fd));
        Assert.Contains("framed protocol", decision.Describe());
    }

    [Fact]
    public void A_frame_header_without_descriptors_is_named_once_its_version_and_kind_arrived()
    {
        ClassicCodec codec = NewCodec();
        Assert.Equal(Verdict.NeedMore, codec.Step("FD"u8, Nothing).Verdict);
        Assert.Equal(Problem.FrameWhereClassicExpected, codec.Step(new byte[] { 1, 0 }, Nothing).Problem);
    }

    [Fact]
    public void A_descriptor_riding_with_text_is_a_violation_and_is_closed()
    {
        ClassicCodec codec = NewCodec();
        int fd = NewFd();
        CodecDecision decision = codec.Step("ab"u8, Arrive(codec.Room, fd));
        Assert.Equal(Problem.DescriptorsWithClassicText, decision.Problem);
        Assert.False(IsOpen(fd));
    }

    [Fact]
    public void Text_longer_than_the_protocol_allows_is_a_violation()
    {
        ClassicCodec codec = NewCodec();
        byte[] text = Encoding.ASCII.GetBytes(new string('a', ClassicProtocol.MaxTextLength));
        CodecDecision decision = default;
        for (int i = 0; i < text.Length && decision.Verdict == Verdict.NeedMore; i += 2)
        {
            decision = codec.Step(text.AsSpan(i, 2), Nothing);
        }
        Assert.Equal(Verdict.NeedMore, decision.Verdict);
        decision = codec.Step("aa"u8, Nothing);
        Assert.Equal(Problem.ClassicTextTooLong, decision.Problem);
    }

    [Fact]
    public void Too_many_descriptors_are_reported_when_the_message_ends_without_breaking_the_stream()
    {
        ClassicCodec codec = NewCodec();
        Assert.Equal(Verdict.Complete, codec.Step(new byte[] { 0, 0 }, Faulty(ControlProblem.TooMany, 3)).Verdict);
        var error = Assert.Throws<FdProtocolException>(() => codec.Finish());
        Assert.False(error.ChannelBroken);
        Assert.Equal(3, error.DescriptorsClosed);
        Assert.Contains("exactly one", error.Message);
        Assert.False(codec.InMessage);
    }

    [Fact]
    public void A_success_status_without_a_descriptor_waits_for_the_one_that_follows_where_the_transport_sends_it_apart()
    {
        ClassicCodec codec = NewCodec();
        codec.Step(new byte[] { 0, 0 }, Nothing);
        Assert.True(codec.NeedsFollowingDescriptor);
        Assert.True(codec.InMessage);
        int fd = NewFd();
        codec.Descriptors.Add(fd); // as the STREAMS transport puts it there
        codec.FollowingDescriptorArrived();
        using var handle = codec.Finish();
        Assert.Equal(fd, (int)handle.DangerousGetHandle());
    }

    [Fact]
    public void Abandoning_a_half_read_message_closes_its_descriptor_and_says_it_was_half_read()
    {
        ClassicCodec codec = NewCodec();
        int fd = NewFd();
        codec.Step(new byte[] { 0 }, Arrive(codec.Room, fd));
        Assert.True(codec.Abandon());
        Assert.False(IsOpen(fd));
        Assert.False(codec.Abandon());
    }
}
