using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;

namespace FdPasser.Tests;

/// <summary>Sends that stop once part of a message is out leave the channel broken; a sender is never left blocked by a receiver that gave up.</summary>
public class SendFailureTests
{
    [Fact]
    public void A_sync_send_timing_out_after_part_of_a_frame_breaks_the_channel()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.MaxFramePayload = 16 << 20;
            a.Timeout = TimeSpan.FromMilliseconds(200);
            Assert.Throws<TimeoutException>(() => a.SendFrame(new byte[8 << 20], ReadOnlySpan<SafeHandle>.Empty));
            Assert.True(a.IsBroken);
            Assert.True(Assert.Throws<FdProtocolException>(() => a.SendFrame("x"u8, ReadOnlySpan<SafeHandle>.Empty)).ChannelBroken);
        }
    }

    [Fact]
    public async Task A_cancelled_async_send_after_part_of_a_frame_breaks_the_channel()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.MaxFramePayload = 16 << 20;
            using var cts = new CancellationTokenSource();
            Task send = a.SendFrameAsync(new byte[8 << 20], ReadOnlyMemory<SafeHandle>.Empty, cts.Token).AsTask();
            await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.False(send.IsCompleted, "the send did not wait for the full buffer");
            cts.Cancel();
            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
            Assert.True(a.IsBroken, ex.ToString());
        }
    }

    [Fact]
    public void A_send_that_fails_before_any_byte_leaves_the_channel_usable()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.Timeout = TimeSpan.FromMilliseconds(100);
            byte[] chunk = new byte[64 * 1024];
            // Fill the buffer, then time out with nothing of the next message sent.
            while (true)
            {
                try
                {
                    a.SendRaw(chunk.AsSpan(0, 1), ReadOnlySpan<int>.Empty);
                }
                catch (TimeoutException)
                {
                    break;
                }
            }
            Assert.False(a.IsBroken);
        }
    }

    [Fact]
    public void A_payload_over_the_senders_own_limit_is_refused_before_sending()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.MaxFramePayload = 1000;
            ArgumentException e = Assert.Throws<ArgumentException>(() => a.SendFrame(new byte[1001], ReadOnlySpan<SafeHandle>.Empty));
            Assert.Contains("MaxFramePayload", e.Message);
            b.Timeout = TimeSpan.FromMilliseconds(100);
            Assert.Throws<TimeoutException>(() => b.ReceiveRaw(16));
            Assert.False(a.IsBroken);
        }
    }

    [Fact]
    public async Task A_receiver_that_refuses_a_frame_stops_a_sender_blocked_on_it()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.MaxFramePayload = 64 << 20;
            Task send = Task.Run(() => a.SendFrame(new byte[32 << 20], ReadOnlySpan<SafeHandle>.Empty), TestContext.Current.CancellationToken);
            Assert.True(Assert.Throws<FdProtocolException>(() => b.ReceiveFrame()).ChannelBroken);
            Task first = await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
            Assert.True(first == send, "the sender is still blocked 20 s after the receiver refused its frame");
            await Assert.ThrowsAnyAsync<IOException>(() => send);
        }
    }
}
