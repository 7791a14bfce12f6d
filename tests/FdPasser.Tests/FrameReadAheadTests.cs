using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// A small frame is read with one recvmsg into a buffer, which may also bring the frames sent after it: each must
/// still come out with its own bytes and descriptors, and what was read ahead must never be lost or leaked.
/// </summary>
public class FrameReadAheadTests
{
    [Fact]
    public void The_frame_after_a_received_one_comes_with_it_and_Dispose_closes_its_descriptors()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        {
            using (SafeFileHandle h = marked.Open())
            {
                a.SendFrame("first"u8, ReadOnlySpan<SafeHandle>.Empty);
                a.SendFrame("second"u8, new SafeHandle[] { h, h });
            }
            using (FdMessage first = b.ReceiveFrame())
            {
                Assert.Equal("first"u8.ToArray(), first.Payload.ToArray());
                Assert.Equal(0, first.DescriptorCount);
            }
            // One receive read both frames: the second's descriptors are held for the next ReceiveFrame.
            Assert.Equal(2, marked.OpenCount());
            b.Dispose();
            Assert.Equal(0, marked.OpenCount());
            Assert.Throws<ObjectDisposedException>(() => b.ReceiveFrame());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_sent_before_any_receive_keep_their_own_bytes_and_descriptors(bool async)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        using (SafeFileHandle zero = File.OpenHandle("/dev/zero"))
        {
            byte[] large = new byte[5_000];
            new Random(11).NextBytes(large);
            a.SendFrame("a"u8, ReadOnlySpan<SafeHandle>.Empty);
            a.SendFrame("bb"u8, new SafeHandle[] { zero, devNull });
            a.SendFrame(ReadOnlySpan<byte>.Empty, ReadOnlySpan<SafeHandle>.Empty);
            a.SendFrameError(7, "refused");
            a.SendFrame("c"u8, ReadOnlySpan<SafeHandle>.Empty);
            a.SendFrame(large, new SafeHandle[] { devNull });
            a.SendFrame("ddd"u8, new SafeHandle[] { zero, zero, devNull });
            a.SendFrame("e"u8, ReadOnlySpan<SafeHandle>.Empty);

            async ValueTask<FdMessage> Receive() => async ? await b.ReceiveFrameAsync(TestContext.Current.CancellationToken) : b.ReceiveFrame();

            async Task Expect(byte[] payload, params string[] targets)
            {
                using FdMessage m = await Receive();
                Assert.True(m.Payload.Span.SequenceEqual(payload));
                SafeFileHandle[] all = m.TakeAllDescriptors();
                try
                {
                    Assert.Equal(targets, all.Select(ProcFs.Target).ToArray());
                }
                finally
                {
                    Array.ForEach(all, h => h.Dispose());
                }
            }

            await Expect("a"u8.ToArray());
            await Expect("bb"u8.ToArray(), "/dev/zero", "/dev/null");
            await Expect(Array.Empty<byte>());
            FdPeerErrorException e = await Assert.ThrowsAsync<FdPeerErrorException>(async () => (await Receive()).Dispose());
            Assert.Equal(7, e.ErrorCode);
            Assert.Equal("refused", e.PeerMessage);
            await Expect("c"u8.ToArray());
            await Expect(large, "/dev/null");
            await Expect("ddd"u8.ToArray(), "/dev/zero", "/dev/zero", "/dev/null");
            await Expect("e"u8.ToArray());
            Assert.False(b.IsBroken);
        }
    }

    [Fact]
    public void Another_kind_of_receive_is_refused_while_frames_are_read_ahead_and_they_stay_whole()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            a.SendFrame("one"u8, ReadOnlySpan<SafeHandle>.Empty);
            a.SendFrame("two"u8, new SafeHandle[] { devNull });
            b.ReceiveFrame().Dispose();
            Assert.Throws<InvalidOperationException>(() => b.ReceiveRaw(16, 4).Dispose());
            Assert.Throws<InvalidOperationException>(() => b.ReceiveRaw(new byte[16], new int[4], out _));
            Assert.Throws<InvalidOperationException>(() => b.ReceiveDescriptor().Dispose());
            using FdMessage two = b.ReceiveFrame();
            Assert.Equal("two"u8.ToArray(), two.Payload.ToArray());
            Assert.Equal(1, two.DescriptorCount);
            // Nothing is read ahead any more: the other receives work again.
            a.SendRaw("raw"u8, ReadOnlySpan<int>.Empty);
            using FdMessage raw = b.ReceiveRaw(16, 0);
            Assert.Equal("raw"u8.ToArray(), raw.Payload.ToArray());
        }
    }

    [Fact]
    public void A_malformed_header_read_ahead_breaks_the_channel_on_the_next_receive_and_closes_what_came()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendFrame("ok"u8, ReadOnlySpan<SafeHandle>.Empty);
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw("XD\u0001\0\u0001\0\0\0\0\0"u8, new SafeHandle[] { h });
            }
            using (FdMessage ok = b.ReceiveFrame())
            {
                Assert.Equal("ok"u8.ToArray(), ok.Payload.ToArray());
            }
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.True(e.ChannelBroken);
            Assert.Equal(1, e.DescriptorsClosed);
            Assert.Equal(0, marked.OpenCount());
        }
    }
}
