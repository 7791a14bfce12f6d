using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// Receives that stop in the middle of a message (time-out, cancellation, a peer that closes or resets, a peer
/// that lies): whatever arrived is closed, and a channel left out of step is marked broken.
/// </summary>
public class ReceiveFailureTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    internal static byte[] Header(int count, int length)
    {
        byte[] h = { (byte)'F', (byte)'D', 1, 0, 0, 0, 0, 0, 0, 0 };
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(6), (uint)length);
        return h;
    }

    /// <summary>A peer that closes while we still have unsent... unread data of ours makes our next recvmsg fail with ECONNRESET.</summary>
    private static void LeaveUnreadDataAt(FdChannel peer, FdChannel us) => us.SendRaw("unread"u8, ReadOnlySpan<int>.Empty);

    [Fact]
    public void A_classic_descriptor_is_closed_when_the_peer_resets_after_sending_it()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            LeaveUnreadDataAt(a, b);
            using (a)
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw(new byte[] { 0 }, new SafeHandle[] { h });
            }
            Assert.Throws<EndOfStreamException>(() => b.ReceiveDescriptor());
            Assert.Equal(0, marked.OpenCount());
        }
    }

    [Fact]
    public async Task A_classic_descriptor_is_closed_when_the_peer_resets_after_sending_it_async()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            LeaveUnreadDataAt(a, b);
            using (a)
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw(new byte[] { 0 }, new SafeHandle[] { h });
            }
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await b.ReceiveDescriptorAsync(TestContext.Current.CancellationToken));
            Assert.Equal(0, marked.OpenCount());
        }
    }

    [Fact]
    public void A_sync_timeout_after_half_a_classic_message_closes_its_descriptor_and_breaks_the_channel()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw(new byte[] { 0 }, new SafeHandle[] { h });
            }
            b.Timeout = Short;
            Assert.Throws<TimeoutException>(() => b.ReceiveDescriptor());
            Assert.Equal(0, marked.OpenCount());
            Assert.True(b.IsBroken);
            // The status byte that comes late must not be read as the start of another message.
            a.SendRaw(new byte[] { 0 }, ReadOnlySpan<int>.Empty);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.True(e.ChannelBroken);
        }
    }

    [Fact]
    public void A_sync_timeout_in_the_middle_of_a_frame_breaks_the_channel()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendRaw(Header(0, 8).AsSpan(0, 10), ReadOnlySpan<int>.Empty);
            a.SendRaw("half"u8, ReadOnlySpan<int>.Empty);
            b.Timeout = Short;
            Assert.Throws<TimeoutException>(() => b.ReceiveFrame());
            Assert.True(b.IsBroken);
            a.SendRaw("rest"u8, ReadOnlySpan<int>.Empty);
            Assert.True(Assert.Throws<FdProtocolException>(() => b.ReceiveFrame()).ChannelBroken);
        }
    }

    [Fact]
    public void A_timeout_before_any_byte_leaves_the_channel_usable()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            b.Timeout = Short;
            Assert.Throws<TimeoutException>(() => b.ReceiveDescriptor());
            Assert.Throws<TimeoutException>(() => b.ReceiveFrame());
            Assert.False(b.IsBroken);
            a.SendDescriptor(devNull);
            using SafeFileHandle received = b.ReceiveDescriptor();
        }
    }

    [Fact]
    public async Task A_cancelled_async_frame_receive_after_part_of_the_header_breaks_the_channel_and_closes_what_came()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw(Header(1, 0).AsSpan(0, 3), new SafeHandle[] { h });
            }
            using var cts = new CancellationTokenSource();
            Task<FdMessage> receive = b.ReceiveFrameAsync(cts.Token).AsTask();
            await Task.Delay(Short, TestContext.Current.CancellationToken);
            Assert.False(receive.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
            Assert.True(b.IsBroken);
            Assert.Equal(0, marked.OpenCount());
        }
    }

    [Fact]
    public void Descriptors_on_every_byte_of_a_frame_header_are_refused_after_the_first_byte()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            var many = new SafeHandle[a.MaxDescriptorsPerMessage];
            Array.Fill(many, devNull);
            byte[] header = Header(many.Length, 0);
            var before = ProcFs.Snapshot();
            // One byte per message, each with a full load of descriptors: a receiver that kept them all would hold ten times the frame's share.
            for (int i = 0; i < header.Length; i++)
            {
                a.SendRaw(header.AsSpan(i, 1), many);
            }
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.True(e.ChannelBroken);
            Assert.Contains("descriptors", e.Message);
            // The refusal comes at the second byte: what arrived with the first two bytes was closed, no more was taken.
            Assert.Equal(2 * many.Length, e.DescriptorsClosed);
            b.Dispose();
            a.Dispose();
            ProcFs.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public void Descriptors_on_classic_text_bytes_break_the_channel_and_are_closed()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using (SafeFileHandle h = marked.Open())
            {
                a.SendRaw("ab"u8, new SafeHandle[] { h });
                a.SendRaw("cd"u8, new SafeHandle[] { h });
            }
            a.SendRaw(new byte[] { 0, 5 }, ReadOnlySpan<int>.Empty);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.True(e.ChannelBroken);
            Assert.Equal(0, marked.OpenCount());
        }
    }

    [Fact]
    public void A_stalled_frame_header_does_not_make_the_receiver_allocate_its_announced_payload()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendRaw(Header(0, 1 << 20), ReadOnlySpan<int>.Empty);
            a.SendRaw("only a few bytes"u8, ReadOnlySpan<int>.Empty);
            b.Timeout = Short;
            Assert.Throws<TimeoutException>(() => b.ReceiveFrame()); // warm up the path once
            var (c, d) = FdChannel.CreatePair();
            using (c)
            using (d)
            {
                c.SendRaw(Header(0, 1 << 20), ReadOnlySpan<int>.Empty);
                c.SendRaw("only a few bytes"u8, ReadOnlySpan<int>.Empty);
                d.Timeout = Short;
                long before = GC.GetAllocatedBytesForCurrentThread();
                Assert.Throws<TimeoutException>(() => d.ReceiveFrame());
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < 256 * 1024, $"a 16-byte start of a 1 MiB frame allocated {allocated} bytes");
            }
        }
    }

    [Fact]
    public async Task A_frame_payload_that_arrives_in_pieces_is_whole()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            b.MaxFramePayload = a.MaxFramePayload = 4 << 20;
            byte[] payload = new byte[3 << 20];
            new Random(7).NextBytes(payload);
            Task send = Task.Run(() => a.SendFrame(payload, ReadOnlySpan<SafeHandle>.Empty), TestContext.Current.CancellationToken);
            using FdMessage m = b.ReceiveFrame();
            await send;
            Assert.True(m.Payload.Span.SequenceEqual(payload));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_negative_MaxFramePayload_is_refused(int value)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => b.MaxFramePayload = value);
            Assert.Equal(1 << 20, b.MaxFramePayload);
        }
    }

    [Fact]
    public void A_peer_that_resets_in_the_middle_of_a_frame_is_end_of_stream_like_one_that_closes()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            LeaveUnreadDataAt(a, b);
            using (a)
            {
                a.SendRaw(Header(0, 10).AsSpan(0, 4), ReadOnlySpan<int>.Empty);
            }
            EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => b.ReceiveFrame());
            FdPassingException inner = Assert.IsType<FdPassingException>(e.InnerException);
            Assert.Equal("ECONNRESET", inner.ErrnoName);
        }
    }

    [Fact]
    public void ReceiveFrame_on_a_classic_message_fails_at_once_naming_the_mix_up()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            b.Timeout = TimeSpan.FromSeconds(30);
            a.SendDescriptor(devNull);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Contains("classic", e.Message);
            Assert.Equal(1, e.DescriptorsClosed);
        }
    }

    [Fact]
    public void ReceiveFrame_on_a_classic_error_fails_at_once_naming_the_mix_up()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            b.Timeout = TimeSpan.FromSeconds(30);
            a.SendError(2, "no such file");
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveFrame());
            Assert.Contains("classic", e.Message);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void ReceiveDescriptor_on_a_frame_names_the_mix_up(int descriptors)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            b.Timeout = TimeSpan.FromSeconds(30);
            a.SendFrame("payload"u8, descriptors == 0 ? ReadOnlySpan<SafeHandle>.Empty : new SafeHandle[] { devNull });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.Contains("frame", e.Message);
            Assert.Equal(descriptors, e.DescriptorsClosed);
        }
    }
}
