using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>A whole handover in one process: offer, prepare, commit; the live socket keeps working for the receiver.</summary>
public class HandoverRoundTripTests
{
    [Fact]
    public async Task A_committed_handover_moves_a_live_socket_and_its_state()
    {
        await Warm.UpAsync();
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        using Socket served = await listener.AcceptAsync(ct);

        var (sender, receiver) = HandoverSender.CreatePair();
        using (sender)
        using (receiver)
        {
            byte[] state = [1, 2, 3, 4];
            Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem("conn", state, served.SafeHandle)], ct).AsTask();
            using HandoverOffer offer = await receiver.ReceiveOfferAsync(ct);
            ReceivedHandoverItem item = Assert.Single(offer.Items);
            Assert.Equal("conn", item.Name);
            Assert.Equal(state, item.State.ToArray());
            Assert.Equal(1, item.DescriptorCount);
            using SafeFileHandle taken = item.TakeDescriptor(0);
            Task<bool> preparing = offer.PrepareAsync(cancellationToken: ct).AsTask();
            HandoverPrepared prepared = await offering;
            Assert.Equal(1, prepared.AcceptedCount);
            Assert.True(prepared.IsAccepted(0));
            Assert.True(await prepared.CommitAsync(ct));
            Assert.True(await preparing);

            // The old owner closes its copy (never shutdown); the connection lives on in the new owner's.
            served.Close();
            using Socket adopted = FdHandles.ToSocket(taken);
            await client.SendAsync("ping"u8.ToArray(), ct);
            byte[] buffer = new byte[4];
            Assert.Equal(4, await adopted.ReceiveAsync(buffer, ct));
            Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer));
        }
    }

    [Fact]
    public async Task Many_items_with_large_state_travel_in_batches_and_keep_their_order()
    {
        var ct = TestContext.Current.CancellationToken;
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        var random = new Random(7);
        HandoverItem[] items = Enumerable.Range(0, 600).Select(i =>
        {
            byte[] state = new byte[i % 50 == 0 ? 200_000 : random.Next(0, 300)];
            random.NextBytes(state);
            return new HandoverItem($"item-{i}", state, Enumerable.Repeat<System.Runtime.InteropServices.SafeHandle>(devNull, i % 3).ToArray());
        }).ToArray();
        var (sender, receiver) = HandoverSender.CreatePair();
        using (sender)
        using (receiver)
        {
            Task<HandoverPrepared> offering = sender.OfferAsync(items, ct).AsTask();
            using HandoverOffer offer = await receiver.ReceiveOfferAsync(ct);
            Assert.Equal(items.Length, offer.Items.Count);
            for (int i = 0; i < items.Length; i++)
            {
                Assert.Equal(items[i].Name, offer.Items[i].Name);
                Assert.True(items[i].State.Span.SequenceEqual(offer.Items[i].State.Span), $"state of item {i}");
                Assert.Equal(items[i].Descriptors.Count, offer.Items[i].DescriptorCount);
            }
            Task<bool> preparing = offer.PrepareAsync([1, 5, 599], ct).AsTask();
            HandoverPrepared prepared = await offering;
            Assert.Equal(3, prepared.AcceptedCount);
            Assert.True(prepared.IsAccepted(5));
            Assert.False(prepared.IsAccepted(4));
            await prepared.AbortAsync(ct);
            Assert.False(await preparing);
        }
    }
}
