using System.Collections.Generic;
using System;
using System.Buffers.Binary;
using System.Linq;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// 100,000 passes over pairs and a named endpoint, sync and async, classic and framed (several frames sent before
/// they are received, so that frames are read ahead), with failures injected at random: peers that close
/// mid-message, more descriptors than a message carries (the control data a classic receive cannot take), error
/// statuses, and cancellation, sync time-outs and disposal at random points: a random number of a frame's bytes
/// sent (with or without a whole frame before it), a receive or a send blocked on a full buffer. The seed is fixed,
/// every wait is bounded (time-outs of a millisecond), and the process ends with exactly the descriptors it
/// started with.
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
        var outcomes = new int[14];
        byte[] bytes = new byte[BlockingPayload];
        random.NextBytes(bytes);
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
                    else if (roll < 260)
                    {
                        // A burst of frames sent before any is received: some are read ahead with others.
                        if (!await FrameBurstAsync(link, random, bytes, devNull, zero, async, ct))
                        {
                            // The last frame was left unreceived (perhaps read ahead, with its descriptors).
                            link.Dispose();
                            link = NewPair();
                        }
                        outcomes[10]++;
                    }
                    else if (roll < 275)
                    {
                        // A sync time-out after a random part of a frame (none of it: the channel stays usable).
                        if (await TimeOutMidFrameAsync(link, random, bytes, devNull, zero, ct))
                        {
                            link.Dispose();
                            link = NewPair();
                        }
                        outcomes[11]++;
                    }
                    else if (roll < 285)
                    {
                        // Disposed from another thread while a sync receive waits after a random part of a message.
                        await DisposeDuringSyncReceiveAsync(link, random, bytes, devNull, zero, ct);
                        link.Dispose();
                        link = NewPair();
                        outcomes[12]++;
                    }
                    else if (roll < 288)
                    {
                        // A send blocked on a full buffer, ended by cancellation, a time-out or disposal.
                        await StopBlockedSendAsync(link, random, bytes, devNull, ct);
                        link.Dispose();
                        link = NewPair();
                        outcomes[13]++;
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

    // Larger than a socket pair's buffer: a send of it blocks part way.
    private const int BlockingPayload = 600_000;

    private static SafeHandle[] Handles(int count, SafeFileHandle devNull, SafeFileHandle zero)
    {
        var handles = new SafeHandle[count];
        for (int i = 0; i < count; i++)
        {
            handles[i] = (i & 1) == 0 ? devNull : zero;
        }
        return handles;
    }

    /// <summary>A frame's bytes as the wire carries them (docs/wire-format.md).</summary>
    private static byte[] FrameBytes(int descriptors, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[10 + payload.Length];
        frame[0] = (byte)'F';
        frame[1] = (byte)'D';
        frame[2] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), (ushort)descriptors);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(6), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(10));
        return frame;
    }

    /// <returns>False where the last frame was left unreceived.</returns>
    private static async Task<bool> FrameBurstAsync(Link link, Random random, byte[] bytes, SafeFileHandle devNull, SafeFileHandle zero, bool async, CancellationToken ct)
    {
        int frames = random.Next(1, 4);
        var lengths = new int[frames];
        var counts = new int[frames];
        for (int f = 0; f < frames; f++)
        {
            lengths[f] = random.Next(5) == 0 ? random.Next(4_000, 9_000) : random.Next(0, 600);
            counts[f] = random.Next(0, 4);
            SafeHandle[] handles = Handles(counts[f], devNull, zero);
            if (async)
            {
                await link.Sender.SendFrameAsync(bytes.AsMemory(f, lengths[f]), handles, ct);
            }
            else
            {
                link.Sender.SendFrame(bytes.AsSpan(f, lengths[f]), handles);
            }
        }
        int received = frames > 1 && random.Next(4) == 0 ? frames - 1 : frames;
        for (int f = 0; f < received; f++)
        {
            using FdMessage m = async ? await link.Receiver.ReceiveFrameAsync(ct) : link.Receiver.ReceiveFrame();
            Assert.Equal(counts[f], m.DescriptorCount);
            Assert.True(m.Payload.Span.SequenceEqual(bytes.AsSpan(f, lengths[f])));
            if (counts[f] > 0 && random.Next(2) == 0)
            {
                m.TakeDescriptor(0).Dispose();
            }
        }
        return received == frames;
    }

    /// <summary>Sends a random part (maybe none) of a frame, its descriptors on the first byte, maybe after a whole frame; returns how many of its bytes went.</summary>
    private static async Task<int> SendPartOfFrameAsync(Link link, Random random, byte[] bytes, SafeFileHandle devNull, SafeFileHandle zero, bool wholeFrameFirst, CancellationToken ct)
    {
        int count = random.Next(0, 4);
        byte[] frame = FrameBytes(count, bytes.AsSpan(0, random.Next(0, 50)));
        int part = random.Next(frame.Length);
        if (wholeFrameFirst)
        {
            await link.Sender.SendFrameAsync(bytes.AsMemory(0, 3), new SafeHandle[] { devNull }, ct);
        }
        if (part > 0)
        {
            link.Sender.SendRaw(frame.AsSpan(0, part), Handles(count, devNull, zero));
        }
        return part;
    }

    /// <returns>Whether the channel broke.</returns>
    private static async Task<bool> TimeOutMidFrameAsync(Link link, Random random, byte[] bytes, SafeFileHandle devNull, SafeFileHandle zero, CancellationToken ct)
    {
        bool wholeFrameFirst = random.Next(2) == 0;
        int part = await SendPartOfFrameAsync(link, random, bytes, devNull, zero, wholeFrameFirst, ct);
        if (wholeFrameFirst)
        {
            using FdMessage whole = link.Receiver.ReceiveFrame();
            Assert.Equal(1, whole.DescriptorCount);
        }
        link.Receiver.Timeout = TimeSpan.FromMilliseconds(1);
        Assert.Throws<TimeoutException>(() => link.Receiver.ReceiveFrame());
        link.Receiver.Timeout = Timeout.InfiniteTimeSpan;
        Assert.Equal(part > 0, link.Receiver.IsBroken);
        return part > 0;
    }

    private static async Task DisposeDuringSyncReceiveAsync(Link link, Random random, byte[] bytes, SafeFileHandle devNull, SafeFileHandle zero, CancellationToken ct)
    {
        bool framed = random.Next(2) == 0;
        if (framed)
        {
            await SendPartOfFrameAsync(link, random, bytes, devNull, zero, wholeFrameFirst: false, ct);
        }
        else if (random.Next(2) == 0)
        {
            link.Sender.SendRaw(new byte[] { 0 }, new SafeHandle[] { devNull });
        }
        FdChannel receiver = link.Receiver;
        Task pending = Task.Factory.StartNew(
            () =>
            {
                if (framed)
                {
                    receiver.ReceiveFrame().Dispose();
                }
                else
                {
                    receiver.ReceiveDescriptor().Dispose();
                }
            },
            ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        switch (random.Next(3))
        {
            case 1:
                await Task.Yield();
                break;
            case 2:
                await Task.Delay(1, ct);
                break;
        }
        receiver.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending);
    }

    private static async Task StopBlockedSendAsync(Link link, Random random, byte[] bytes, SafeFileHandle devNull, CancellationToken ct)
    {
        var handles = new SafeHandle[] { devNull };
        FdChannel sender = link.Sender;
        switch (random.Next(3))
        {
            case 0:
            {
                using var cts = new CancellationTokenSource();
                ValueTask send = sender.SendFrameAsync(bytes, handles, cts.Token);
                if (random.Next(2) == 0)
                {
                    await Task.Yield();
                }
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await send);
                Assert.True(sender.IsBroken);
                break;
            }
            case 1:
                sender.Timeout = TimeSpan.FromMilliseconds(1);
                Assert.Throws<TimeoutException>(() => sender.SendFrame(bytes, handles));
                Assert.True(sender.IsBroken);
                break;
            default:
            {
                Task send = Task.Factory.StartNew(() => sender.SendFrame(bytes, handles), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                await Task.Delay(random.Next(2), ct);
                sender.Dispose();
                await Assert.ThrowsAsync<ObjectDisposedException>(() => send);
                break;
            }
        }
        // The receiver gets what was sent (its descriptor with it) and then the end of the stream.
        sender.Dispose();
        Assert.Throws<EndOfStreamException>(() => link.Receiver.ReceiveFrame().Dispose());
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
