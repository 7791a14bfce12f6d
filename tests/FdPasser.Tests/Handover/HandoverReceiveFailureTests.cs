using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>
/// A receiver facing a sender that dies, stalls, lies or sends garbage: each ends as a <see cref="HandoverAbortedException"/>
/// with the reason, and every descriptor that arrived is closed (the process ends each test with the descriptors it
/// started with).
/// </summary>
public class HandoverReceiveFailureTests
{
    private static async Task<HandoverAbortedException> RefusedAsync(Func<ScriptedPeer, Task> script, HandoverLimits? limits = null, bool expectAbortMessage = false)
    {
        await Warm.UpAsync();
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HashSet<string> before = ProcFs.Snapshot();
        HandoverAbortedException e;
        var (receiver, peer) = ScriptedPeer.ForReceiver(limits);
        using (receiver)
        using (peer)
        {
            Task<HandoverOffer> receiving = receiver.ReceiveOfferAsync(TestContext.Current.CancellationToken).AsTask();
            await script(peer);
            e = await Assert.ThrowsAsync<HandoverAbortedException>(() => receiving);
            if (expectAbortMessage)
            {
                var (type, bytes) = await peer.ReceiveAsync();
                while (type == HandoverMessageType.Hello)
                {
                    (type, bytes) = await peer.ReceiveAsync();
                }
                Assert.Equal(HandoverMessageType.Abort, type);
                Assert.Equal((byte)e.Reason, bytes[4]);
            }
        }
        ProcFs.AssertNoNewDescriptors(before);
        return e;
    }

    /// <summary>HELLO, and the receiver's answer: from here on the receiver reads what the script sends.</summary>
    private static async Task Greet(ScriptedPeer peer)
    {
        peer.Hello(HandoverWire.RoleSender);
        await peer.ExpectAsync(HandoverMessageType.Hello);
    }

    [Fact]
    public async Task A_sender_that_dies_before_hello_ends_the_handover()
    {
        HandoverAbortedException e = await RefusedAsync(peer => { peer.Dispose(); return Task.CompletedTask; });
        Assert.Equal(HandoverAbortReason.PeerClosed, e.Reason);
    }

    [Fact]
    public async Task Garbage_instead_of_hello_is_a_protocol_error()
    {
        HandoverAbortedException e = await RefusedAsync(peer => { peer.Send([0xFF, 1, 2, 3, 4]); return Task.CompletedTask; }, expectAbortMessage: true);
        Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
    }

    [Fact]
    public async Task A_sender_speaking_no_common_version_is_refused()
    {
        HandoverAbortedException e = await RefusedAsync(peer => { peer.Hello(HandoverWire.RoleSender, 9, 12); return Task.CompletedTask; }, expectAbortMessage: true);
        Assert.Equal(HandoverAbortReason.VersionMismatch, e.Reason);
    }

    [Theory]
    [InlineData(int.MaxValue, 0, 0L)]
    [InlineData(1, int.MaxValue, 0L)]
    [InlineData(1, 0, long.MaxValue)]
    public async Task A_begin_announcing_huge_counts_is_refused_before_anything_is_allocated(int items, int fds, long state)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(items, fds, state);
        }, expectAbortMessage: true);
        Assert.Equal(HandoverAbortReason.LimitExceeded, e.Reason);
        // The whole exchange, test included, allocates a small fraction of what was announced.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocated < 16 << 20, "the announced sizes were allocated");
    }

    [Fact]
    public async Task An_item_bigger_than_the_limits_is_refused_and_its_descriptors_closed()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(1, 3, 0);
            peer.Send(ScriptedPeer.Item(0, "x", [], 3), devNull, devNull, devNull);
        }, new HandoverLimits { MaxDescriptorsPerItem = 2 }, expectAbortMessage: true);
        Assert.Equal(HandoverAbortReason.LimitExceeded, e.Reason);
    }

    [Fact]
    public async Task More_descriptors_than_announced_are_closed_on_arrival()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(1, 1, 0);
            peer.Send(ScriptedPeer.Item(0, "x", [], 1), devNull, devNull, devNull, devNull);
        });
        Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
        Assert.Contains("more descriptors arrived", e.Message);
    }

    [Fact]
    public async Task A_truncated_items_message_is_refused_and_its_descriptors_closed()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(1, 2, 100);
            byte[] item = ScriptedPeer.Item(0, "conn", new byte[100], 2);
            peer.Send(item[..^30], devNull, devNull);
        }, expectAbortMessage: true);
        Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
        Assert.Contains("cut off", e.Message);
    }

    [Fact]
    public async Task A_sender_that_dies_mid_offer_leaves_no_descriptor_open()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(3, 3, 0);
            peer.Send(ScriptedPeer.Item(0, "a", [], 1), devNull);
            peer.Send(ScriptedPeer.Item(1, "b", [], 1), devNull);
            // Time for the receiver to take both items in (and own their descriptors) before its peer dies.
            await Task.Delay(300);
            peer.Dispose();
        });
        Assert.Equal(HandoverAbortReason.PeerClosed, e.Reason);
    }

    [Fact]
    public async Task A_sender_that_stalls_times_out()
    {
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Begin(1, 0, 0);
        }, new HandoverLimits { Timeout = TimeSpan.FromMilliseconds(300) });
        Assert.Equal(HandoverAbortReason.Timeout, e.Reason);
    }

    [Fact]
    public async Task A_message_longer_than_the_largest_is_refused()
    {
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            peer.Send(new byte[HandoverWire.MaxMessageBytes + 100]);
        });
        Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
    }

    [Fact]
    public async Task A_sender_that_aborts_is_reported_with_its_reason()
    {
        HandoverAbortedException e = await RefusedAsync(async peer =>
        {
            await Greet(peer);
            byte[] buffer = new byte[64];
            int n = HandoverWire.WriteAbort(buffer, HandoverAbortReason.Aborted, "changed my mind");
            peer.Send(buffer[..n]);
        });
        Assert.Equal(HandoverAbortReason.Refused, e.Reason);
        Assert.Contains("changed my mind", e.Message);
    }

    [Fact]
    public async Task After_prepared_a_sender_that_dies_or_aborts_means_not_committed()
    {
        await Warm.UpAsync();
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HashSet<string> before = ProcFs.Snapshot();
        foreach (bool abort in new[] { false, true })
        {
            var (receiver, peer) = ScriptedPeer.ForReceiver();
            using (receiver)
            using (peer)
            {
                Task<HandoverOffer> receiving = receiver.ReceiveOfferAsync(TestContext.Current.CancellationToken).AsTask();
                await Greet(peer);
                peer.Begin(1, 1, 0);
                peer.Send(ScriptedPeer.Item(0, "a", [], 1), devNull);
                using HandoverOffer offer = await receiving;
                using SafeFileHandle taken = offer.Items[0].TakeDescriptor(0);
                Task<bool> preparing = offer.PrepareAsync(cancellationToken: TestContext.Current.CancellationToken).AsTask();
                await peer.ExpectAsync(HandoverMessageType.Prepared);
                if (abort)
                {
                    peer.Send(HandoverMessageType.Abort, [0, 0, 0, 0]);
                }
                else
                {
                    peer.Dispose();
                }
                Assert.False(await preparing);
            }
        }
        ProcFs.AssertNoNewDescriptors(before);
    }
}
