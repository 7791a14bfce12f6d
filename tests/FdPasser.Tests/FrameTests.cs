using System.Collections.Generic;
using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

public class FrameTests
{
    [Fact]
    public void Back_to_back_frames_keep_their_own_descriptors()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        using (SafeFileHandle zero = File.OpenHandle("/dev/zero"))
        {
            a.SendFrame("one"u8, new SafeHandle[] { devNull });
            a.SendFrame("none"u8, ReadOnlySpan<SafeHandle>.Empty);
            a.SendFrame(new byte[100_000], new SafeHandle[] { zero, zero, devNull });
            a.SendFrame(ReadOnlySpan<byte>.Empty, new SafeHandle[] { zero });
            using (FdMessage m = b.ReceiveFrame())
            {
                Assert.Equal("one"u8.ToArray(), m.Payload.ToArray());
                Assert.Equal(1, m.DescriptorCount);
                using SafeFileHandle h = m.TakeDescriptor(0);
                Assert.Equal("/dev/null", ProcFs.Target(h));
            }
            using (FdMessage m = b.ReceiveFrame())
            {
                Assert.Equal(0, m.DescriptorCount);
                Assert.Equal("none"u8.ToArray(), m.Payload.ToArray());
            }
            using (FdMessage m = b.ReceiveFrame())
            {
                Assert.Equal(100_000, m.Payload.Length);
                SafeFileHandle[] all = m.TakeAllDescriptors();
                Assert.Equal(new[] { "/dev/zero", "/dev/zero", "/dev/null" }, Array.ConvertAll(all, ProcFs.Target));
                Array.ForEach(all, h => h.Dispose());
            }
            using (FdMessage m = b.ReceiveFrame())
            {
                Assert.True(m.Payload.IsEmpty);
                Assert.Equal(1, m.DescriptorCount);
            }
        }
    }

    [Fact]
    public void An_error_frame_surfaces_as_a_peer_error()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendFrameError(2, "no such file");
            FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => b.ReceiveFrame());
            Assert.Equal(2, e.ErrorCode);
            Assert.Equal("no such file", e.PeerMessage);
        }
    }

    private static byte[] Header(int count, int length, byte magic0 = (byte)'F', byte version = 1)
    {
        byte[] h = new byte[10];
        h[0] = magic0;
        h[1] = (byte)'D';
        h[2] = version;
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(6), (uint)length);
        return h;
    }

    [Fact]
    public void A_frame_whose_descriptors_do_not_match_its_header_is_rejected_and_they_are_closed()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            a.SendRaw(Header(count: 1, length: 0), new SafeHandle[] { devNull, devNull });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Equal(2, e.DescriptorsClosed);
            Assert.False(e.ChannelBroken);
            ProcFs.AssertNoNewDescriptors(before);
            a.SendFrame("next"u8, ReadOnlySpan<SafeHandle>.Empty);
            using FdMessage next = b.ReceiveFrame();
            Assert.Equal("next"u8.ToArray(), next.Payload.ToArray());
        }
    }

    [Theory]
    [InlineData((byte)'X', 1, 0, "bad frame magic")]
    [InlineData((byte)'F', 9, 0, "unsupported frame version")]
    [InlineData((byte)'F', 1, 300, "at most {max}")]
    public void A_malformed_header_breaks_the_channel_and_closes_what_came(byte magic0, byte version, int count, string expected)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            a.SendRaw(Header(count, 0, magic0, version), new SafeHandle[] { devNull });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Contains(expected.Replace("{max}", TargetFacts.MaxDescriptorsPerMessage.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), e.Message);
            Assert.True(e.ChannelBroken);
            Assert.Equal(1, e.DescriptorsClosed);
            ProcFs.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public void An_oversized_payload_announcement_is_refused_before_allocating()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            b.MaxFramePayload = 1024;
            a.SendRaw(Header(0, 1 << 30), ReadOnlySpan<int>.Empty);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Contains("MaxFramePayload", e.Message);
        }
    }

    [Fact]
    public void Descriptors_inside_a_payload_mean_lost_framing()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            // Larger than the receive buffer: the first receive ends inside the first segment, and the payload's
            // rest is read on its own, where descriptors never ride.
            a.SendRaw(Header(0, 8_000).Concat(new byte[5_000]).ToArray(), ReadOnlySpan<int>.Empty);
            a.SendRaw(new byte[3_000], new SafeHandle[] { devNull });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.True(e.ChannelBroken);
            Assert.Contains("inside a frame's payload", e.Message);
            ProcFs.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public void Descriptors_on_a_later_segment_of_a_small_frame_are_refused_and_closed()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            // Both segments come in one receive, which cannot tell where the descriptor rode: the frame announced
            // none, so it is refused and the descriptor closed.
            a.SendRaw(Header(0, 4), ReadOnlySpan<int>.Empty);
            a.SendRaw("abcd"u8, new SafeHandle[] { devNull });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Equal(1, e.DescriptorsClosed);
            ProcFs.AssertNoNewDescriptors(before);
            a.SendFrame("next"u8, ReadOnlySpan<SafeHandle>.Empty);
            using FdMessage next = b.ReceiveFrame();
            Assert.Equal("next"u8.ToArray(), next.Payload.ToArray());
        }
    }

    [Fact]
    public void A_close_mid_frame_is_end_of_stream_and_closes_what_came()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            using (a)
            {
                a.SendRaw(Header(1, 10), new SafeHandle[] { devNull });
            }
            Assert.Throws<EndOfStreamException>(() => b.ReceiveFrame());
            ProcFs.AssertNoNewDescriptors(before);
        }
    }
}
