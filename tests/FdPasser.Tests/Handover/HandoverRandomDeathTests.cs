using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>
/// Real senders and receivers with the connection between them cut after a random number of messages (before HELLO,
/// mid-offer, after PREPARED, after COMMIT before COMMITTED, or never), over hundreds of items in several messages:
/// a sender never thinks it committed unless the receiver did too, the sender's descriptors stay open until it
/// committed, and the process ends with the descriptors it started with.
/// </summary>
public class HandoverRandomDeathTests
{
    [Fact]
    public async Task Peer_death_at_random_points_loses_nothing_and_leaks_nothing()
    {
        await Warm.UpAsync();
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        using Socket served = await listener.AcceptAsync(ct);
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        string servedTarget = ProcFs.Target(served.SafeHandle);
        var items = Enumerable.Range(0, 400)
            .Select(i => new HandoverItem($"conn-{i}", new byte[i % 20 == 0 ? 70_000 : 40], i == 0 ? served.SafeHandle : devNull))
            .ToArray();
        var limits = new HandoverLimits { Timeout = TimeSpan.FromSeconds(20) };

        // A first full run counts the messages and loads every code path.
        int messages = await RunAsync(items, int.MaxValue, limits);
        Assert.True(messages > 6, $"only {messages} messages");
        HashSet<string> before = ProcFs.Snapshot();
        var random = new Random(20261205);
        var outcomes = new Dictionary<string, int>();
        for (int round = 0; round < 60; round++)
        {
            // Every fifth round runs to the end; the rest are cut at random, the first few at each of the first messages.
            int limit = round % 5 == 0 ? messages + (round % 3) : round < 8 ? round : random.Next(0, messages + 1);
            var (senderCommitted, receiverCommitted) = await RunOnceAsync(items, limit, limits);
            Assert.False(senderCommitted && !receiverCommitted, $"cut after {limit} messages: the sender committed alone");
            Assert.False(served.SafeHandle.IsClosed);
            Assert.Equal(servedTarget, ProcFs.Target(served.SafeHandle));
            string key = $"{senderCommitted}/{receiverCommitted}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }
        ProcFs.AssertNoNewDescriptors(before);
        Assert.True(outcomes.GetValueOrDefault("False/False") > 0 && outcomes.GetValueOrDefault("True/True") > 0, string.Join(", ", outcomes));
    }

    private static async Task<int> RunAsync(HandoverItem[] items, int limit, HandoverLimits limits)
    {
        var (s, r) = await RunOnceAsync(items, limit, limits);
        Assert.True(s && r);
        // HELLO ×2, BEGIN, ITEMS and STATE messages, PREPARED, COMMIT, COMMITTED: counted by the encoder.
        var encoder = new OfferEncoder(items.Select(i => System.Text.Encoding.UTF8.GetBytes(i.Name)).ToArray(), items.Select(i => i.State).ToArray(), items.Select(i => i.Descriptors.Count).ToArray());
        byte[] buffer = new byte[HandoverWire.MaxMessageBytes];
        int count = 0;
        while (!encoder.IsDone)
        {
            encoder.Next(buffer, out _, out _);
            count++;
        }
        return count + 6;
    }

    private static async Task<(bool Sender, bool Receiver)> RunOnceAsync(HandoverItem[] items, int limit, HandoverLimits limits)
    {
        var ct = TestContext.Current.CancellationToken;
        var (sender, receiver, relay) = DyingRelay.Create(limit, limits);
        using (relay)
        using (sender)
        using (receiver)
        {
            Task<bool> senderSide = SendAsync(sender, items, ct);
            Task<bool> receiverSide = ReceiveAsync(receiver, ct);
            return (await senderSide, await receiverSide);
        }
    }

    private static async Task<bool> SendAsync(HandoverSender sender, HandoverItem[] items, System.Threading.CancellationToken ct)
    {
        try
        {
            HandoverPrepared prepared = await sender.OfferAsync(items, ct);
            return await prepared.CommitAsync(ct);
        }
        catch (HandoverAbortedException)
        {
            return false;
        }
    }

    private static async Task<bool> ReceiveAsync(HandoverReceiver receiver, System.Threading.CancellationToken ct)
    {
        HandoverOffer offer;
        try
        {
            offer = await receiver.ReceiveOfferAsync(ct);
        }
        catch (HandoverAbortedException)
        {
            return false;
        }
        using (offer)
        {
            // Adopt every other item: taken descriptors are the receiver's to close, the rest the offer's.
            var taken = new List<SafeFileHandle>();
            var accepted = new List<int>();
            for (int i = 0; i < offer.Items.Count; i += 2)
            {
                accepted.Add(i);
                for (int d = 0; d < offer.Items[i].DescriptorCount; d++)
                {
                    taken.Add(offer.Items[i].TakeDescriptor(d));
                }
            }
            bool committed = await offer.PrepareAsync(accepted, ct);
            foreach (SafeFileHandle h in taken)
            {
                h.Dispose();
            }
            return committed;
        }
    }
}
