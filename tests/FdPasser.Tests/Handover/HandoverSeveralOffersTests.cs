using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>
/// Protocol version 2: several offers on one handover connection, each its own transaction. What a later offer's
/// abort or failure does must leave earlier committed items with the receiver and its own items with the sender.
/// </summary>
public class HandoverSeveralOffersTests
{
    /// <summary>A connected TCP pair on loopback: the client and the served end (the one handed over).</summary>
    private sealed class Tcp : IDisposable
    {
        public Socket Client { get; private init; } = null!;

        public Socket Served { get; private init; } = null!;

        public static async Task<Tcp> OpenAsync()
        {
            var ct = TestContext.Current.CancellationToken;
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!, ct);
            return new Tcp { Client = client, Served = await listener.AcceptAsync(ct) };
        }

        public void Dispose()
        {
            Client.Dispose();
            Served.Dispose();
        }
    }

    private static async Task<string> PingAsync(Socket from, Socket to, string text)
    {
        var ct = TestContext.Current.CancellationToken;
        await from.SendAsync(Encoding.ASCII.GetBytes(text), ct);
        byte[] buffer = new byte[text.Length];
        int n = await to.ReceiveAsync(buffer, ct);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    /// <summary>Offers <paramref name="tcp"/>'s served socket; the receiver takes it and prepares; returns both outcomes.</summary>
    private static async Task<(HandoverPrepared Prepared, HandoverOffer Offer, SafeFileHandle Taken, Task<bool> Preparing)> OfferOneAsync(
        HandoverSender sender, HandoverReceiver receiver, Tcp tcp, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem(name, new byte[] { 1 }, tcp.Served.SafeHandle)], ct).AsTask();
        HandoverOffer? offer = await receiver.ReceiveNextOfferAsync(ct);
        Assert.NotNull(offer);
        Assert.Equal(name, Assert.Single(offer.Items).Name);
        SafeFileHandle taken = offer.Items[0].TakeDescriptor(0);
        Task<bool> preparing = offer.PrepareAsync(cancellationToken: ct).AsTask();
        return (await offering, offer, taken, preparing);
    }

    [Fact]
    public async Task Several_offers_go_over_one_connection_each_committed_on_its_own()
    {
        var ct = TestContext.Current.CancellationToken;
        using Tcp a = await Tcp.OpenAsync();
        using Tcp b = await Tcp.OpenAsync();
        var (sender, receiver) = HandoverSender.CreatePair();
        using (sender)
        using (receiver)
        {
            var first = await OfferOneAsync(sender, receiver, a, "a");
            Assert.True(sender.SupportsSeveralOffers);
            Assert.True(await first.Prepared.CommitAsync(ct));
            Assert.True(await first.Preparing);
            first.Offer.Dispose();
            var second = await OfferOneAsync(sender, receiver, b, "b");
            Assert.True(await second.Prepared.CommitAsync(ct));
            Assert.True(await second.Preparing);
            second.Offer.Dispose();
            sender.Dispose();
            Assert.Null(await receiver.ReceiveNextOfferAsync(ct)); // the sender's close after a commit ends it quietly

            a.Served.Close();
            b.Served.Close();
            using Socket adoptedA = FdHandles.ToSocket(first.Taken);
            using Socket adoptedB = FdHandles.ToSocket(second.Taken);
            Assert.Equal("one", await PingAsync(a.Client, adoptedA, "one"));
            Assert.Equal("two", await PingAsync(b.Client, adoptedB, "two"));
        }
    }

    [Fact]
    public async Task Aborting_a_later_offer_keeps_the_earlier_committed_one_with_the_receiver_and_its_own_with_the_sender()
    {
        var ct = TestContext.Current.CancellationToken;
        using Tcp a = await Tcp.OpenAsync();
        using Tcp b = await Tcp.OpenAsync();
        var (sender, receiver) = HandoverSender.CreatePair();
        using (sender)
        using (receiver)
        {
            var first = await OfferOneAsync(sender, receiver, a, "a");
            Assert.True(await first.Prepared.CommitAsync(ct));
            Assert.True(await first.Preparing);
            first.Offer.Dispose();
            a.Served.Close(); // relinquished: the receiver's copy is the connection now

            int before = ProcFs.OpenDescriptorCount();
            var second = await OfferOneAsync(sender, receiver, b, "b");
            await second.Prepared.AbortAsync(ct);
            Assert.False(await second.Preparing);
            second.Taken.Dispose(); // not committed: the receiver drops its copy (a close, no shutdown)
            second.Offer.Dispose();
            // The sender's connection closed with the abort; the receiver's end, when it sees that, below.
            Assert.Null(await receiver.ReceiveNextOfferAsync(ct));
            await Assert.ThrowsAsync<InvalidOperationException>(() => sender.OfferAsync([new HandoverItem("c", default)], ct).AsTask());
            Assert.Equal(before - 2, ProcFs.OpenDescriptorCount()); // nothing of the aborted offer left; both handover ends closed

            using Socket adoptedA = FdHandles.ToSocket(first.Taken);
            Assert.Equal("kept", await PingAsync(a.Client, adoptedA, "kept"));     // earlier commit: the receiver's
            Assert.Equal("still", await PingAsync(b.Client, b.Served, "still"));  // aborted offer: still the sender's
            Assert.Equal("back", await PingAsync(b.Served, b.Client, "back"));
        }
    }

    [Fact]
    public async Task A_receiver_that_dies_during_a_later_offer_leaves_that_offer_with_the_sender()
    {
        var ct = TestContext.Current.CancellationToken;
        using Tcp a = await Tcp.OpenAsync();
        using Tcp b = await Tcp.OpenAsync();
        var (sender, receiver) = HandoverSender.CreatePair();
        using (sender)
        {
            SafeFileHandle keptByReceiver;
            using (receiver)
            {
                var first = await OfferOneAsync(sender, receiver, a, "a");
                Assert.True(await first.Prepared.CommitAsync(ct));
                Assert.True(await first.Preparing);
                first.Offer.Dispose();
                keptByReceiver = first.Taken;
                a.Served.Close();

                Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem("b", new byte[] { 1 }, b.Served.SafeHandle)], ct).AsTask();
                using (HandoverOffer? offer = await receiver.ReceiveNextOfferAsync(ct))
                {
                    Assert.NotNull(offer);
                }
                // The receiver dies (its offer and connection closed) before PREPARED.
                await Assert.ThrowsAsync<HandoverAbortedException>(() => offering);
            }
            using Socket adoptedA = FdHandles.ToSocket(keptByReceiver);
            Assert.Equal("kept", await PingAsync(a.Client, adoptedA, "kept"));
            Assert.Equal("mine", await PingAsync(b.Client, b.Served, "mine"));
            await Assert.ThrowsAsync<InvalidOperationException>(() => sender.OfferAsync([new HandoverItem("c", default)], ct).AsTask());
        }
    }

    [Fact]
    public async Task The_limits_on_items_count_every_offer_of_a_sender_together()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, receiver) = HandoverSender.CreatePair(new HandoverLimits { MaxItems = 3 });
        using (sender)
        using (receiver)
        {
            Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem("x", default), new HandoverItem("y", default)], ct).AsTask();
            using (HandoverOffer? offer = await receiver.ReceiveNextOfferAsync(ct))
            {
                Task<bool> preparing = offer!.PrepareAsync(cancellationToken: ct).AsTask();
                Assert.True(await (await offering).CommitAsync(ct));
                Assert.True(await preparing);
            }
            offering = sender.OfferAsync([new HandoverItem("z", default), new HandoverItem("w", default)], ct).AsTask();
            var refused = await Assert.ThrowsAsync<HandoverAbortedException>(() => receiver.ReceiveNextOfferAsync(ct).AsTask());
            Assert.Equal(HandoverAbortReason.LimitExceeded, refused.Reason);
            Assert.Contains("earlier offers", refused.Message);
            // The sender learns of it as ABORT or as the closed connection, whichever its send meets first.
            await Assert.ThrowsAsync<HandoverAbortedException>(() => offering);
        }
    }

    [Fact]
    public async Task A_version_1_receiver_gets_one_offer_and_the_sender_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, peer) = ScriptedPeer.ForSender();
        using (sender)
        using (peer)
        {
            Task negotiating = sender.NegotiateAsync(ct).AsTask();
            await (peer.ExpectAsync(HandoverMessageType.Hello)).WaitAsync(TimeSpan.FromSeconds(20 + 1), ct);
            peer.Hello(HandoverWire.RoleReceiver, HandoverWire.Version1);
            await (negotiating).WaitAsync(TimeSpan.FromSeconds(20 + 2), ct);
            Assert.False(sender.SupportsSeveralOffers);

            Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem("x", default)], ct).AsTask();
            await (peer.ExpectAsync(HandoverMessageType.Begin)).WaitAsync(TimeSpan.FromSeconds(20 + 3), ct);
            await (peer.ExpectAsync(HandoverMessageType.Items)).WaitAsync(TimeSpan.FromSeconds(20 + 4), ct);
            byte[] prepared = new byte[HandoverWire.PreparedSize(1)];
            HandoverWire.WritePrepared(prepared, [true]);
            peer.Send(prepared);
            HandoverPrepared p = await (offering).WaitAsync(TimeSpan.FromSeconds(20 + 5), ct);
            Task<bool> committing = p.CommitAsync(ct).AsTask();
            await (peer.ExpectAsync(HandoverMessageType.Commit)).WaitAsync(TimeSpan.FromSeconds(20 + 6), ct);
            peer.Send(HandoverMessageType.Committed, []);
            Assert.True(await (committing).WaitAsync(TimeSpan.FromSeconds(20 + 7), ct));
            await Assert.ThrowsAsync<InvalidOperationException>(() => sender.OfferAsync([new HandoverItem("y", default)], ct).AsTask());
            Assert.Equal((HandoverMessageType)0, (await peer.ReceiveAsync().WaitAsync(TimeSpan.FromSeconds(28), ct)).Type); // version 1: closed after the commit
        }
    }

    [Fact]
    public async Task A_version_2_receiver_ends_quietly_when_a_version_1_sender_closes_after_its_commit()
    {
        var ct = TestContext.Current.CancellationToken;
        var (receiver, peer) = ScriptedPeer.ForReceiver();
        using (receiver)
        using (peer)
        {
            peer.Hello(HandoverWire.RoleSender, HandoverWire.Version1, HandoverWire.Version2);
            Task<HandoverOffer?> receiving = receiver.ReceiveNextOfferAsync(ct).AsTask();
            await peer.ExpectAsync(HandoverMessageType.Hello);
            peer.Begin(1, 0, 0);
            peer.Send(ScriptedPeer.Item(0, "x", [], 0));
            using HandoverOffer? offer = await receiving;
            Task<bool> preparing = offer!.PrepareAsync(cancellationToken: ct).AsTask();
            await peer.ExpectAsync(HandoverMessageType.Prepared);
            peer.Send(HandoverMessageType.Commit, []);
            await peer.ExpectAsync(HandoverMessageType.Committed);
            Assert.True(await preparing);
            // Garbage instead of BEGIN between offers is a protocol error, not a quiet end.
            peer.Send(HandoverMessageType.Items, [0, 0, 0, 0]);
            var e = await Assert.ThrowsAsync<HandoverAbortedException>(() => receiver.ReceiveNextOfferAsync(ct).AsTask());
            Assert.Equal(HandoverAbortReason.ProtocolError, e.Reason);
        }
    }
}
