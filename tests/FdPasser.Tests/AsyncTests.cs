using System.Collections.Generic;
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

public class AsyncTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_pending_receive_completes_when_the_descriptor_arrives()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            ValueTask<SafeFileHandle> pending = b.ReceiveDescriptorAsync(Ct);
            await Task.Delay(50, Ct);
            Assert.False(pending.IsCompleted);
            using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
            {
                await a.SendDescriptorAsync(devNull, Ct);
            }
            using SafeFileHandle received = await pending;
            Assert.Equal("/dev/null", ProcFs.Target(received));
            Assert.True(ProcFs.IsCloseOnExec(received));
        }
    }

    [Fact]
    public async Task Cancelling_an_idle_receive_leaves_the_channel_usable()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using var cts = new CancellationTokenSource(50);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveDescriptorAsync(cts.Token));
            Assert.False(b.IsBroken);
            using SafeFileHandle devNull = File.OpenHandle("/dev/null");
            a.SendDescriptor(devNull);
            using SafeFileHandle received = await b.ReceiveDescriptorAsync(Ct);
            Assert.Equal("/dev/null", ProcFs.Target(received));
        }
    }

    [Fact]
    public async Task Cancelling_in_the_middle_of_a_message_breaks_the_channel_and_leaks_nothing()
    {
        await Warm.UpAsync();
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            HashSet<string> before = ProcFs.Snapshot();
            a.SendRaw(new byte[] { (byte)'e', (byte)'r' }, ReadOnlySpan<int>.Empty); // error text without its NUL yet
            // The receive must have read those bytes before the token fires: under emulation, 100 ms is not enough.
            using var cts = new CancellationTokenSource(TestTiming.Bound(TimeSpan.FromMilliseconds(100)));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveDescriptorAsync(cts.Token));
            Assert.True(b.IsBroken);
            ProcFs.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public async Task An_async_send_waits_for_a_full_buffer_to_drain()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            a.Timeout = TimeSpan.FromMilliseconds(10);
            byte[] chunk = new byte[64 * 1024];
            int filled = 0;
            try
            {
                // One byte at a time: a send that times out after part of its message would break the channel.
                while (true)
                {
                    a.SendRaw(chunk.AsSpan(0, 1), ReadOnlySpan<int>.Empty);
                    filled++;
                }
            }
            catch (TimeoutException)
            {
            }
            Assert.True(filled > 0);
            ValueTask pending = a.SendDescriptorAsync(devNull, Ct);
            await Task.Delay(50, Ct);
            Assert.False(pending.IsCompleted);
            byte[] sink = new byte[1 << 20];
            int drained = 0;
            int[] fds = new int[4];
            int arrived = 0;
            while (arrived == 0)
            {
                drained += b.ReceiveRaw(sink, fds, out int count);
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal("/dev/null", ProcFs.Target(fds[i]));
                    FdHandles.Close(fds[i]);
                }
                arrived += count;
            }
            await pending;
            Assert.Equal(1, arrived);
            Assert.Equal(filled + 2, drained); // everything queued, then the two classic bytes
        }
    }

    [Fact]
    public async Task Pending_receives_and_accepts_do_not_hold_a_thread_each()
    {
        await Warm.UpAsync();
        const int Count = 40;
        using var dir = new TempDir();
        var pairs = new (FdChannel A, FdChannel B)[Count];
        var listeners = new FdListener[Count];
        for (int i = 0; i < Count; i++)
        {
            pairs[i] = FdChannel.CreatePair();
            listeners[i] = FdListener.Create(dir.File("ep" + i));
        }
        try
        {
            int before = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            var receives = new Task<SafeFileHandle>[Count];
            var accepts = new Task<FdConnection>[Count];
            for (int i = 0; i < Count; i++)
            {
                receives[i] = pairs[i].B.ReceiveDescriptorAsync(Ct).AsTask();
                accepts[i] = listeners[i].AcceptAsync(Ct).AsTask();
            }
            await Task.Delay(200, Ct);
            int waiting = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            Assert.True(waiting - before < 10, $"{waiting - before} more threads for {2 * Count} pending operations");
            using SafeFileHandle devNull = File.OpenHandle("/dev/null");
            for (int i = 0; i < Count; i++)
            {
                pairs[i].A.SendDescriptor(devNull);
                using FdChannel client = FdChannel.Connect(listeners[i].Path);
                (await accepts[i].WaitAsync(TimeSpan.FromSeconds(10), Ct)).Channel.Dispose();
                (await receives[i].WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
            }
        }
        finally
        {
            foreach (var (a, b) in pairs)
            {
                a.Dispose();
                b.Dispose();
            }
            Array.ForEach(listeners, l => l.Dispose());
        }
    }

    [Fact]
    public async Task Async_frames_carry_payload_and_descriptors()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        using (SafeFileHandle zero = File.OpenHandle("/dev/zero"))
        {
            ValueTask<FdMessage> pending = b.ReceiveFrameAsync(Ct);
            await a.SendFrameAsync(new byte[] { 1, 2, 3 }, new SafeHandle[] { devNull, zero }, Ct);
            using FdMessage message = await pending;
            Assert.Equal(new byte[] { 1, 2, 3 }, message.Payload.ToArray());
            using SafeFileHandle first = message.TakeDescriptor(0);
            using SafeFileHandle second = message.TakeDescriptor(1);
            Assert.Equal("/dev/null", ProcFs.Target(first));
            Assert.Equal("/dev/zero", ProcFs.Target(second));
        }
    }

    [Fact]
    public async Task Peer_closing_during_an_async_receive_is_end_of_stream()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            ValueTask<SafeFileHandle> pending = b.ReceiveDescriptorAsync(Ct);
            a.Dispose();
            await Assert.ThrowsAsync<EndOfStreamException>(async () => await pending);
        }
    }
}
