using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Streams.Tests.Simulation;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Streams.Tests;

/// <summary>FdChannel's classic protocol over the STREAMS transport, against the simulation and seed-style peers.</summary>
public sealed class StreamsChannelTests : IDisposable
{
    private readonly StreamsWorld _w = new();
    private readonly string _file = Path.GetTempFileName();

    public StreamsChannelTests() => File.WriteAllText(_file, "hello from a passed descriptor");

    public void Dispose() => File.Delete(_file);

    private SimulatedProcess P => _w.Server;

    private static string ReadAll(SafeFileHandle handle)
    {
        byte[] buffer = new byte[256];
        int n = RandomAccess.Read(handle, buffer, 0);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void A_pipe_pair_passes_a_real_file_descriptor_and_the_sender_keeps_its_own()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            Assert.Equal(FdTransportKind.Streams, a.TransportKind);
            a.SendDescriptor(mine);
            using SafeFileHandle received = b.ReceiveDescriptor();

            Assert.NotEqual(mine.DangerousGetHandle(), received.DangerousGetHandle());
            Assert.Equal(1, HostDescriptors.SetOrGetCloseOnExec((int)received.DangerousGetHandle(), null));
            Assert.Equal("hello from a passed descriptor", ReadAll(received));
            Assert.Equal("hello from a passed descriptor", ReadAll(mine));
        }
        Assert.Equal(0, P.OpenDescriptors);
    }

    [Fact]
    public void Pipe_ends_are_close_on_exec_and_nonblocking()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            Assert.True(P.IsCloseOnExec(a.Descriptor));
            Assert.True(P.IsNonBlocking(b.Descriptor));
            a.SetInheritable(true);
            Assert.False(P.IsCloseOnExec(a.Descriptor));
            Assert.Throws<NotSupportedException>(() => a.SafeHandle);
            Assert.Same(a.Handle, a.Handle);
        }
    }

    [Fact]
    public void The_wire_is_the_seeds_two_status_bytes_then_an_M_PASSFP_message()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            a.SendDescriptor(mine);

            // A seed-style receiver: getmsg for the status, then I_RECVFD.
            var (call, status) = Sim.GetMsg(P, b.Descriptor);
            Assert.Equal(0, call.Result);
            Assert.Equal(new byte[] { 0, 0 }, status);
            var (recv, received) = Sim.RecvFd(P, b.Descriptor);
            Assert.Equal(0, recv.Result);
            Assert.Equal(501u, received.uid);
            using var taken = new SafeFileHandle(received.fd, ownsHandle: true);
            Assert.Equal("hello from a passed descriptor", ReadAll(taken));
        }
    }

    [Fact]
    public void A_seed_style_sender_is_understood()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            Assert.Equal(2, Sim.Write(P, a.Descriptor, 0, 0).Result);
            Assert.Equal(0, Sim.SendFd(P, a.Descriptor, (int)mine.DangerousGetHandle()).Result);

            using SafeFileHandle received = b.ReceiveDescriptor();
            Assert.Equal("hello from a passed descriptor", ReadAll(received));
        }
    }

    [Fact]
    public void An_error_status_with_text_reaches_the_peer()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            a.SendError(13, "permission denied for /etc/shadow");

            var e = Assert.Throws<FdPeerErrorException>(() => b.ReceiveDescriptor());
            Assert.Equal(13, e.ErrorCode);
            Assert.Equal("permission denied for /etc/shadow", e.PeerMessage);
            Assert.False(b.IsBroken);
            Assert.Equal(0, P.QueuedMessages(b.Descriptor));
        }
    }

    [Fact]
    public async Task The_receiver_waits_between_the_status_and_a_late_descriptor()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            Sim.Write(P, a.Descriptor, 0, 0);
            CancellationToken ct = TestContext.Current.CancellationToken;
            Task<SafeFileHandle> receive = Task.Run(b.ReceiveDescriptor, ct);
            await Task.Delay(200, ct);
            Assert.False(receive.IsCompleted);

            Sim.SendFd(P, a.Descriptor, (int)mine.DangerousGetHandle());

            using SafeFileHandle received = await receive.WaitAsync(TimeSpan.FromSeconds(10), ct);
            Assert.Equal("hello from a passed descriptor", ReadAll(received));
        }
    }

    [Fact]
    public void Status_zero_followed_by_data_is_a_protocol_error_that_leaves_the_data()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            Sim.Write(P, a.Descriptor, 0, 0);
            Sim.Write(P, a.Descriptor, 0, 5);

            var e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.Contains("without a descriptor", e.Message);
            Assert.False(b.IsBroken);
            Assert.Equal(5, Assert.Throws<FdPeerErrorException>(() => b.ReceiveDescriptor()).ErrorCode);
        }
    }

    [Fact]
    public void A_descriptor_without_status_bytes_is_EBADMSG_from_getmsg_and_is_closed()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            Sim.SendFd(P, a.Descriptor, (int)mine.DangerousGetHandle());
            int stray = Assert.Single(_w.Kernel.Duplicated);

            var e = Assert.Throws<FdPassingException>(() => b.ReceiveDescriptor());

            Assert.Equal("getmsg", e.Syscall);
            Assert.Equal("EBADMSG", e.ErrnoName);
            Assert.True(_w.Kernel.ClosedDuplicate(stray));
            Assert.Equal(0, P.QueuedMessages(b.Descriptor));
        }
    }

    [Fact]
    public void The_peer_closing_is_end_of_stream()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (b)
        {
            a.Dispose();
            Assert.False(b.TryReceiveDescriptor(out SafeFileHandle? none));
            Assert.Null(none);
            Assert.Throws<EndOfStreamException>(() => b.ReceiveDescriptor());
        }
    }

    [Fact]
    public void The_peer_closing_after_status_zero_is_a_protocol_error()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (b)
        {
            Sim.Write(P, a.Descriptor, 0, 0);
            a.Dispose();
            Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
        }
    }

    [Fact]
    public void A_receive_times_out()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            b.Timeout = TimeSpan.FromMilliseconds(100);
            Assert.Throws<TimeoutException>(() => b.ReceiveDescriptor());
            Assert.False(b.IsBroken);
        }
    }

    [Fact]
    public void A_timeout_between_status_and_descriptor_breaks_the_channel()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            Sim.Write(P, a.Descriptor, 0, 0);
            b.Timeout = TimeSpan.FromMilliseconds(100);
            Assert.Throws<TimeoutException>(() => b.ReceiveDescriptor());
            Assert.True(b.IsBroken);
        }
    }

    [Fact]
    public async Task Async_send_and_receive()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        await using (a)
        await using (b)
        {
            using SafeFileHandle mine = File.OpenHandle(_file);
            ValueTask<SafeFileHandle> receive = b.ReceiveDescriptorAsync(ct);
            await Task.Delay(100, ct);
            Assert.False(receive.IsCompleted);

            await a.SendDescriptorAsync(mine, ct);

            using SafeFileHandle received = await receive.AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            Assert.Equal("hello from a passed descriptor", ReadAll(received));
        }
    }

    [Fact]
    public async Task Pending_async_receives_do_not_hold_a_thread_each()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        const int Count = 40;
        var pairs = new (FdChannel A, FdChannel B)[Count];
        var pending = new Task<SafeFileHandle>[Count];
        for (int i = 0; i < Count; i++)
        {
            pairs[i] = FdChannel.CreateStreamsPair(_w.ServerTransport);
        }
        try
        {
            int threadsBefore = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            for (int i = 0; i < Count; i++)
            {
                pending[i] = pairs[i].B.ReceiveDescriptorAsync(ct).AsTask();
            }
            await Task.Delay(200, ct);
            int threadsWaiting = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
            Assert.All(pending, t => Assert.False(t.IsCompleted));
            Assert.True(threadsWaiting - threadsBefore < 10, $"{threadsWaiting - threadsBefore} more threads for {Count} pending receives");
            using SafeFileHandle mine = File.OpenHandle(_file);
            for (int i = 0; i < Count; i++)
            {
                await pairs[i].A.SendDescriptorAsync(mine, ct);
            }
            foreach (Task<SafeFileHandle> t in pending)
            {
                using SafeFileHandle received = await t.WaitAsync(TimeSpan.FromSeconds(10), ct);
                Assert.Equal("hello from a passed descriptor", ReadAll(received));
            }
        }
        finally
        {
            foreach (var (a, b) in pairs)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_async_receive_can_be_cancelled()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        await using (a)
        await using (b)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveDescriptorAsync(cts.Token));
            Assert.False(b.IsBroken);
        }
    }

    [Fact]
    public async Task Framed_and_raw_modes_say_they_are_not_available_over_STREAMS()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            var e = Assert.Throws<NotSupportedException>(() => a.SendFrame(new byte[] { 1 }, ReadOnlySpan<System.Runtime.InteropServices.SafeHandle>.Empty));
            Assert.Contains("STREAMS", e.Message);
            Assert.Throws<NotSupportedException>(() => b.ReceiveFrame());
            Assert.Throws<NotSupportedException>(() => a.SendRaw(new byte[] { 1 }, ReadOnlySpan<int>.Empty));
            Assert.Throws<NotSupportedException>(() => b.ReceiveRaw());
            CancellationToken ct = TestContext.Current.CancellationToken;
            await Assert.ThrowsAsync<NotSupportedException>(async () => await a.SendRawAsync(new byte[] { 1 }, ReadOnlyMemory<int>.Empty, ct));
            await Assert.ThrowsAsync<NotSupportedException>(async () => await b.ReceiveRawAsync(new byte[1], new int[1], ct));
            Assert.Equal(1, a.MaxDescriptorsPerMessage);
        }
    }

    [Fact]
    public void A_pipe_pair_has_no_peer_credentials()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        {
            Assert.Throws<NotSupportedException>(() => a.GetPeerCredentials());
        }
    }

    [Fact]
    public void A_failed_I_SENDFD_names_the_call_and_errno()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (a)
        using (b)
        using (SafeFileHandle mine = File.OpenHandle(_file))
        {
            _w.Kernel.FailNext("I_SENDFD", Illumos.EINVAL);
            var e = Assert.Throws<FdPassingException>(() => a.SendDescriptor(mine));
            Assert.Equal("ioctl(I_SENDFD)", e.Syscall);
            Assert.Equal("EINVAL", e.ErrnoName);
        }
    }

    [Fact]
    public void A_failure_while_creating_a_pair_leaks_no_descriptor()
    {
        _w.Kernel.FailNext("fcntl", Illumos.EINVAL);
        var e = Assert.Throws<FdPassingException>(() => FdChannel.CreateStreamsPair(_w.ServerTransport));
        Assert.Equal("fcntl", e.Syscall);
        Assert.Equal(0, P.OpenDescriptors);
    }

    [Fact]
    public async Task Dispose_ends_a_pending_sync_receive_and_the_peer_sees_the_hang_up()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (b)
        {
            Task receive = Task.Factory.StartNew(() => a.ReceiveDescriptor().Dispose(), TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.False(receive.IsCompleted);
            a.Dispose();
            Assert.Same(receive, await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => receive);
            b.Timeout = TimeSpan.FromSeconds(10);
            Assert.False(b.TryReceiveDescriptor(out _));
        }
    }

    [Fact]
    public async Task Dispose_ends_a_pending_async_receive()
    {
        var (a, b) = FdChannel.CreateStreamsPair(_w.ServerTransport);
        using (b)
        {
            Task<SafeFileHandle> receive = a.ReceiveDescriptorAsync(TestContext.Current.CancellationToken).AsTask();
            await Task.Delay(100, TestContext.Current.CancellationToken);
            Assert.False(receive.IsCompleted);
            a.Dispose();
            Assert.Same(receive, await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => receive);
        }
    }
}
