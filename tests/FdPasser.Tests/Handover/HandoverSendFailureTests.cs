using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>
/// A sender facing a receiver that dies, stalls, refuses or breaks the protocol at each step: until the receiver
/// confirms a commit the sender keeps every handle it offered, open and unchanged, and nothing leaks.
/// </summary>
public class HandoverSendFailureTests
{
    private sealed class Offered : IDisposable
    {
        public Offered()
        {
            File = System.IO.File.OpenHandle("/dev/null");
            Target = ProcFs.Target(File);
            Items = [new HandoverItem("a", new byte[] { 1, 2 }, File), new HandoverItem("b", ReadOnlyMemory<byte>.Empty, File, File)];
        }

        public SafeFileHandle File { get; }

        public string Target { get; }

        public HandoverItem[] Items { get; }

        public void AssertStillOwned()
        {
            Assert.False(File.IsClosed);
            Assert.Equal(Target, ProcFs.Target(File));
        }

        public void Dispose() => File.Dispose();
    }

    /// <summary>Runs a sender against a scripted receiver; returns the sender's outcome with every descriptor accounted for.</summary>
    private static async Task<Exception?> RunAsync(Func<ScriptedPeer, Task> script, Func<HandoverPrepared, Task>? decide = null, HandoverLimits? limits = null)
    {
        await Warm.UpAsync();
        using var offered = new Offered();
        HashSet<string> before = ProcFs.Snapshot();
        Exception? failure = null;
        var (sender, peer) = ScriptedPeer.ForSender(limits);
        using (sender)
        using (peer)
        {
            Task<HandoverPrepared> offering = sender.OfferAsync(offered.Items, TestContext.Current.CancellationToken).AsTask();
            await script(peer);
            try
            {
                HandoverPrepared prepared = await offering;
                if (decide is not null)
                {
                    await decide(prepared);
                }
            }
            catch (HandoverAbortedException e)
            {
                failure = e;
            }
        }
        offered.AssertStillOwned();
        ProcFs.AssertNoNewDescriptors(before);
        return failure;
    }

    /// <summary>The receiver's side up to the offer's end: HELLO, then every message of the two items.</summary>
    private static async Task TakeOfferAsync(ScriptedPeer peer)
    {
        await peer.ExpectAsync(HandoverMessageType.Hello);
        peer.Hello(HandoverWire.RoleReceiver);
        await peer.ExpectAsync(HandoverMessageType.Begin);
        await peer.ExpectAsync(HandoverMessageType.Items);
    }

    private static void Prepared(ScriptedPeer peer)
    {
        byte[] buffer = new byte[HandoverWire.PreparedSize(2)];
        HandoverWire.WritePrepared(buffer, [true, true]);
        peer.Send(buffer);
    }

    [Fact]
    public async Task A_receiver_that_dies_before_hello_leaves_the_sender_everything()
    {
        var e = Assert.IsType<HandoverAbortedException>(await RunAsync(peer => { peer.Dispose(); return Task.CompletedTask; }));
        Assert.Equal(HandoverAbortReason.PeerClosed, e.Reason);
    }

    [Fact]
    public async Task A_receiver_that_refuses_the_offer_is_reported_with_its_reason()
    {
        var e = Assert.IsType<HandoverAbortedException>(await RunAsync(async peer =>
        {
            await peer.ExpectAsync(HandoverMessageType.Hello);
            peer.Hello(HandoverWire.RoleReceiver);
            await peer.ExpectAsync(HandoverMessageType.Begin);
            byte[] buffer = new byte[64];
            int n = HandoverWire.WriteAbort(buffer, HandoverAbortReason.LimitExceeded, "too many items");
            peer.Send(buffer[..n]);
        }));
        Assert.Equal(HandoverAbortReason.LimitExceeded, e.Reason);
        Assert.Contains("too many items", e.Message);
    }

    [Fact]
    public async Task A_malformed_prepared_is_a_protocol_error()
    {
        var e = Assert.IsType<HandoverAbortedException>(await RunAsync(async peer =>
        {
            await TakeOfferAsync(peer);
            peer.Send(HandoverMessageType.Prepared, [3, 0, 0, 0, 0xFF]);
        }));
        Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
    }

    [Fact]
    public async Task A_receiver_that_stalls_times_out()
    {
        var e = Assert.IsType<HandoverAbortedException>(await RunAsync(TakeOfferAsync, limits: new HandoverLimits { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(HandoverAbortReason.Timeout, e.Reason);
    }

    [Fact]
    public async Task A_receiver_that_dies_after_prepared_means_not_committed()
    {
        bool? committed = null;
        ScriptedPeer? receiver = null;
        Assert.Null(await RunAsync(
            async peer =>
            {
                receiver = peer;
                await TakeOfferAsync(peer);
                Prepared(peer);
            },
            async prepared =>
            {
                Assert.Equal(2, prepared.AcceptedCount);
                receiver!.Dispose();
                committed = await prepared.CommitAsync(TestContext.Current.CancellationToken);
            }));
        Assert.False(committed);
    }

    [Fact]
    public async Task A_receiver_that_dies_after_commit_before_committed_means_not_committed()
    {
        bool? committed = null;
        ScriptedPeer? receiver = null;
        Assert.Null(await RunAsync(
            async peer =>
            {
                receiver = peer;
                await TakeOfferAsync(peer);
                Prepared(peer);
            },
            async prepared =>
            {
                Task<bool> committing = prepared.CommitAsync(TestContext.Current.CancellationToken).AsTask();
                await receiver!.ExpectAsync(HandoverMessageType.Commit);
                receiver.Dispose();
                committed = await committing;
            }));
        Assert.False(committed);
    }

    [Fact]
    public async Task An_abort_after_prepared_tells_the_receiver()
    {
        ScriptedPeer? receiver = null;
        Assert.Null(await RunAsync(
            async peer =>
            {
                receiver = peer;
                await TakeOfferAsync(peer);
                Prepared(peer);
            },
            async prepared =>
            {
                await prepared.AbortAsync(TestContext.Current.CancellationToken);
                await receiver!.ExpectAsync(HandoverMessageType.Abort);
                await Assert.ThrowsAsync<InvalidOperationException>(() => prepared.CommitAsync(TestContext.Current.CancellationToken).AsTask());
            }));
    }

    [Fact]
    public async Task An_offer_over_the_senders_own_limits_sends_nothing()
    {
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        var (sender, peer) = ScriptedPeer.ForSender(new HandoverLimits { MaxDescriptorsPerItem = 1 });
        using (sender)
        using (peer)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => sender.OfferAsync([new HandoverItem("x", default, devNull, devNull)], TestContext.Current.CancellationToken).AsTask());
        }
        Assert.False(devNull.IsClosed);
    }
}
