using System;
using FdPasser.Handover;

namespace FdPasser.Tests.Handover;

/// <summary>The codecs of the small handover messages, byte for byte as docs/handover.md gives them; no I/O.</summary>
public class HandoverWireTests
{
    [Fact]
    public void Hello_is_the_bytes_the_docs_give_and_negotiates_the_highest_common_version()
    {
        byte[] buffer = new byte[64];
        int n = HandoverWire.WriteHello(buffer, HandoverWire.RoleSender, HandoverWire.SupportedVersions);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 1, 2, 1, 0, 2, 0 }, buffer[..n]);
        Assert.Null(HandoverWire.TryReadHello(new byte[] { 2, 3, 9, 0, 1, 0, 7, 0 }, HandoverWire.RoleReceiver, out ushort version));
        Assert.Equal(1, version);
        Assert.Null(HandoverWire.TryReadHello(new byte[] { 2, 2, 1, 0, 2, 0 }, HandoverWire.RoleReceiver, out version));
        Assert.Equal(2, version);
        Assert.Null(HandoverWire.TryReadHello(new byte[] { 2, 1, 9, 0 }, HandoverWire.RoleReceiver, out version));
        Assert.Equal(0, version);
    }

    [Theory]
    [InlineData(new byte[] { 1 }, "shorter")]
    [InlineData(new byte[] { 1, 1, 1, 0 }, "role 1")]
    [InlineData(new byte[] { 2, 0 }, "0 versions")]
    [InlineData(new byte[] { 2, 17 }, "17 versions")]
    [InlineData(new byte[] { 2, 2, 1, 0 }, "for 2 versions")]
    public void A_malformed_hello_is_refused(byte[] body, string why)
    {
        Assert.Contains(why, HandoverWire.TryReadHello(body, HandoverWire.RoleReceiver, out _));
    }

    [Fact]
    public void A_header_with_nonzero_reserved_bytes_or_too_short_is_refused()
    {
        Assert.Null(HandoverWire.TryReadHeader(new byte[] { 6, 0, 0, 0 }, out HandoverMessageType type));
        Assert.Equal(HandoverMessageType.Commit, type);
        Assert.Contains("not zero", HandoverWire.TryReadHeader(new byte[] { 6, 0, 1, 0 }, out _));
        Assert.Contains("shorter", HandoverWire.TryReadHeader(new byte[] { 6, 0 }, out _));
        Assert.Contains("more than", HandoverWire.TryReadHeader(new byte[HandoverWire.MaxMessageBytes + 1], out _));
    }

    [Theory]
    [InlineData(uint.MaxValue, 0u, 0UL, "MaxItems")]
    [InlineData(1u, uint.MaxValue, 0UL, "MaxTotalDescriptors")]
    [InlineData(1u, 0u, ulong.MaxValue, "MaxTotalStateBytes")]
    [InlineData(65_537u, 0u, 0UL, "MaxItems")]
    public void A_begin_announcing_more_than_the_limits_is_refused_before_anything_is_allocated(uint items, uint fds, ulong state, string limit)
    {
        byte[] body = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(body, items);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), fds);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8), state);
        Assert.Contains(limit, HandoverWire.TryReadBegin(body, HandoverLimits.Default, out _, out _, out _));
    }

    [Fact]
    public void Begin_round_trips()
    {
        byte[] buffer = new byte[32];
        int n = HandoverWire.WriteBegin(buffer, 3, 5, 1234);
        Assert.Equal(20, n);
        Assert.Null(HandoverWire.TryReadBegin(buffer.AsSpan(4, 16), HandoverLimits.Default, out int items, out int fds, out long state));
        Assert.Equal((3, 5, 1234L), (items, fds, state));
    }

    [Fact]
    public void Prepared_round_trips_and_refuses_stray_bits_and_wrong_counts()
    {
        bool[] accepted = [true, false, false, true, true, false, false, false, false, true];
        byte[] buffer = new byte[HandoverWire.PreparedSize(accepted.Length)];
        HandoverWire.WritePrepared(buffer, accepted);
        Assert.Equal(new byte[] { 5, 0, 0, 0, 10, 0, 0, 0, 0b0001_1001, 0b10 }, buffer);
        Assert.Null(HandoverWire.TryReadPrepared(buffer.AsSpan(4), 10, out bool[] read));
        Assert.Equal(accepted, read);
        Assert.Contains("answers an offer of 11", HandoverWire.TryReadPrepared(buffer.AsSpan(4), 11, out _));
        buffer[^1] |= 0b100;
        Assert.Contains("past its last item", HandoverWire.TryReadPrepared(buffer.AsSpan(4), 10, out _));
        Assert.Contains("expected", HandoverWire.TryReadPrepared(buffer.AsSpan(4, 5), 10, out _));
    }

    [Fact]
    public void Abort_and_introduce_round_trip()
    {
        byte[] buffer = new byte[8 + HandoverWire.MaxAbortText];
        int n = HandoverWire.WriteAbort(buffer, HandoverAbortReason.LimitExceeded, "too big");
        Assert.Null(HandoverWire.TryReadAbort(buffer.AsSpan(4, n - 4), out HandoverAbortReason reason, out string text));
        Assert.Equal((HandoverAbortReason.LimitExceeded, "too big"), (reason, text));
        Assert.Contains("announcing", HandoverWire.TryReadAbort(new byte[] { 0, 0, 0xFF, 0xFF }, out _, out _));

        n = HandoverWire.WriteIntroduce(buffer, HandoverWire.IntroducePredecessor, 7, 6);
        Assert.Equal(new byte[] { 16, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0 }, buffer[..n]);
        Assert.Null(HandoverWire.TryReadIntroduce(buffer.AsSpan(4, 12), out byte role, out uint own, out uint peer));
        Assert.Equal((2, 7u, 6u), (role, own, peer));
        buffer[4] = 3;
        Assert.NotNull(HandoverWire.TryReadIntroduce(buffer.AsSpan(4, 12), out _, out _, out _));
    }

    [Fact]
    public void Limits_refuse_values_outside_their_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandoverLimits { MaxItems = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandoverLimits { MaxDescriptorsPerItem = 254 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandoverLimits { MaxNameBytes = 1025 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandoverLimits { MaxTotalStateBytes = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandoverLimits { Timeout = TimeSpan.Zero });
        Assert.Equal(TimeSpan.FromSeconds(10), new HandoverLimits().Timeout);
    }
}
