using System.Collections.Generic;
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// 100,000 passes over pairs and a named endpoint, sync and async, with failures injected at random: peers that
/// close mid-message, more descriptors than a message carries (the control data a classic receive cannot take),
/// error statuses, cancellation at random points of a message, sync time-outs mid-message, disposal with a receive
/// pending. The process ends with exactly the descriptors it started with.
/// </summary>
public class LeakAuditTests
{
    private const int Passes = 100_000;

    private sealed class Link : IDisposable
    {
        public Link(FdChannel sender, FdChannel receiver)
        {
            Sender = sender;
            Receiver = receiver;
        }

        public FdChannel Sender { get; }

        public FdChannel Receiver { get; }

        public void Dispose()
        {
            Sender.Dispose();
            Receiver.Dispose();
        }
    }

    [Fact]
    public async Task A_hundred_thousand_passes_with_injected_failures_leak_no_descriptor()
    {
        await Warm.UpAsync();
        using var dir = new TempDir();
        using FdListener listener = FdListener.Create(dir.File("ep"));
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        using SafeFileHandle zero = File.OpenHandle("/dev/zero");
        // A first round loads every assembly the loop touches (each keeps a descriptor open for the process's life).
        await RunAsync(listener, devNull, zero, 2_000, seed: 1);
        HashSet<string> before = ProcFs.Snapshot();
        int[] outcomes = await RunAsync(listener, devNull, zero, Passes, seed: 20261124);
        ProcFs.AssertNoNewDescriptors(before);
        Assert.All(outcomes, n => Assert.True(n > 0));
    }

    private static async Task<int[]> RunAsync(FdListener listener, SafeFileHandle devNull, SafeFileHandle zero, int passes, int seed)
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var random = new Random(seed);
        var outcomes = new int[10];
        {
            Link link = NewPair();
            try
            {
                for (int i = 0; i < passes; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    int roll = random.Next(1000);
                    bool async = (i & 1) == 1;
                    if (roll < 5)
                    {
                        // A fresh connection over the named endpoint.
                        link.Dispose();
                        link = await ConnectAsync(listener, ct);
                        outcomes[0]++;
                    }
                    else if (roll < 10)
                    {
                        // The peer closes in the middle of a message, after its NUL and descriptor.
                        link.Sender.SendRaw(new byte[] { 0 }, new SafeHandle[] { devNull });
                        link.Sender.Dispose();
                        await Assert.ThrowsAsync<EndOfStreamException>(async () => await Receive(link.Receiver, async, ct));
                        link.Receiver.Dispose();
                        link = NewPair();
                        outcomes[1]++;
                    }
                    else if (roll < 14)
                    {
                        // Cancelled while a message is half read: the channel is broken and replaced.
                        link.Sender.SendRaw(new byte[] { 0 }, new SafeHandle[] { devNull });
                        using var cts = new CancellationTokenSource();
                        ValueTask<SafeFileHandle> pending = link.Receiver.ReceiveDescriptorAsync(cts.Token);
                        await Task.Yield();
                        cts.Cancel();
                        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
                        Assert.True(link.Receiver.IsBroken);
                        link.Dispose();
                        link = NewPair();
                        outcomes[2]++;
                    }
                    else if (roll < 60)
                    {
                        // More descriptors than a classic message carries.
                        link.Sender.SendRaw(new byte[] { 0, 0 }, new SafeHandle[] { devNull, zero, devNull });
                        FdProtocolException e = await Assert.ThrowsAsync<FdProtocolException>(async () => await Receive(link.Receiver, async, ct));
                        Assert.Equal(3, e.DescriptorsClosed);
                        outcomes[3]++;
                    }
                    else if (roll < 120)
                    {
                        link.Sender.SendError(random.Next(1, 200), "refused");
                        await Assert.ThrowsAsync<FdPeerErrorException>(async () => await Receive(link.Receiver, async, ct));
                        outcomes[4]++;
                    }
                    else if (roll < 160)
                    {
                        // A frame whose descriptor count does not match its header.
                        link.Sender.SendRaw(new byte[] { (byte)'F', (byte)'D', 1, 0, 1, 0, 0, 0, 0, 0 }, new SafeHandle[] { devNull, zero });
                        Assert.Throws<FdProtocolException>(() => link.Receiver.ReceiveFrame());
                        outcomes[5]++;
                    }
                    else if (roll < 170)
                    {
                        // A sync time-out after the NUL and its descriptor: the channel is broken and replaced.
                        link.Sender.SendRaw(new byte[] { 0 }, new SafeHandle[] { devNull });
                        link.Receiver.Timeout = TimeSpan.FromMilliseconds(1);
                        Assert.Throws<TimeoutException>(() => link.Receiver.ReceiveDescriptor());
                        Assert.True(link.Receiver.IsBroken);
                        link.Dispose();
                        link = NewPair();
                        outcomes[7]++;
                    }
                    else if (roll < 180)
                    {
                        // Disposed while a receive is pending, with part of a frame (and its descriptors) read or not.
                        if (random.Next(2) == 0)
                        {
                            link.Sender.SendRaw(new byte[] { (byte)'F', (byte)'D', 1 }, new SafeHandle[] { devNull, zero });
                        }
                        ValueTask<FdMessage> pending = link.Receiver.ReceiveFrameAsync(ct);
                        if (random.Next(2) == 0)
                        {
                            await Task.Yield();
                        }
                        link.Receiver.Dispose();
                        await Assert.ThrowsAsync<ObjectDisposedException>(async () => (await pending).Dispose());
                        link.Dispose();
                        link = NewPair();
                        outcomes[8]++;
                    }
                    else if (roll < 190)
                    {
                        // Cancelled at a random point of a frame that arrives in two parts.
                        using var cts = new CancellationTokenSource();
                        ValueTask<FdMessage> pending = link.Receiver.ReceiveFrameAsync(cts.Token);
                        link.Sender.SendRaw(new byte[] { (byte)'F', (byte)'D', 1, 0, 2, 0 }, new SafeHandle[] { devNull, zero });
                        int when = random.Next(3);
                        if (when > 0)
                        {
                            await Task.Yield();
                        }
                        cts.Cancel();
                        if (when > 1)
                        {
                            link.Sender.SendRaw(new byte[] { 1, 0, 0, 0, 42 }, ReadOnlySpan<int>.Empty);
                        }
                        try
                        {
                            using FdMessage m = await pending;
                            Assert.Equal(2, m.DescriptorCount);
                        }
                        catch (OperationCanceledException) when (!link.Receiver.IsBroken)
                        {
                            // Cancelled before a byte was read: the frame is still there, whole.
                            if (when <= 1)
                            {
                                link.Sender.SendRaw(new byte[] { 1, 0, 0, 0, 42 }, ReadOnlySpan<int>.Empty);
                            }
                            using FdMessage m = link.Receiver.ReceiveFrame();
                            Assert.Equal(2, m.DescriptorCount);
                        }
                        catch (OperationCanceledException)
                        {
                            // Cancelled with part of the frame read: the channel is broken, what came was closed.
                        }
                        link.Dispose();
                        link = NewPair();
                        outcomes[9]++;
                    }
                    else
                    {
                        if (async)
                        {
                            await link.Sender.SendDescriptorAsync(devNull, ct);
                        }
                        else
                        {
                            link.Sender.SendDescriptor(devNull);
                        }
                        using SafeFileHandle received = await Receive(link.Receiver, async, ct);
                        outcomes[6]++;
                    }
                }
            }
            finally
            {
                link.Dispose();
            }
        }
        return outcomes;
    }

    private static Link NewPair()
    {
        var (a, b) = FdChannel.CreatePair();
        return new Link(a, b);
    }

    private static async Task<Link> ConnectAsync(FdListener listener, CancellationToken ct)
    {
        ValueTask<FdConnection> accept = listener.AcceptAsync(ct);
        FdChannel client = await FdChannel.ConnectAsync(listener.Path, ct);
        FdConnection server = await accept;
        return new Link(server.Channel, client);
    }

    private static async ValueTask<SafeFileHandle> Receive(FdChannel channel, bool async, CancellationToken ct) =>
        async ? await channel.ReceiveDescriptorAsync(ct) : channel.ReceiveDescriptor();
}
