using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// Dispose ends every pending operation with ObjectDisposedException and closes the descriptor at once (the peer sees
/// end of stream, a listener's name is free again), without shutting down a socket another process may share.
/// </summary>
public class DisposeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs <paramref name="operation"/> on a thread of its own and returns once it is blocked (or done).</summary>
    private static async Task<Task> StartBlocked(Action operation)
    {
        var task = Task.Factory.StartNew(operation, Ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(200, Ct);
        Assert.False(task.IsCompleted, "the operation did not block");
        return task;
    }

    private static async Task AssertEndsDisposed(Task operation)
    {
        Task first = await Task.WhenAny(operation, Task.Delay(Bound, Ct));
        Assert.True(first == operation, $"the pending operation was still running {Bound.TotalSeconds} s after Dispose");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => operation);
    }

    private static byte[] Fill(FdChannel sender)
    {
        sender.Timeout = TimeSpan.FromMilliseconds(50);
        byte[] one = { 1 };
        while (true)
        {
            try
            {
                sender.SendRaw(one, ReadOnlySpan<int>.Empty);
            }
            catch (TimeoutException)
            {
                sender.Timeout = Timeout.InfiniteTimeSpan;
                return one;
            }
        }
    }

    [Fact]
    public async Task A_pending_sync_receive_ends_and_the_peer_sees_end_of_stream()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            Task receive = await StartBlocked(() => a.ReceiveDescriptor().Dispose());
            a.Dispose();
            await AssertEndsDisposed(receive);
            b.Timeout = Bound;
            Assert.False(b.TryReceiveDescriptor(out _));
        }
    }

    [Fact]
    public async Task A_pending_sync_receive_with_half_a_message_closes_its_descriptor()
    {
        using var marked = new MarkedFile();
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            using (SafeFileHandle h = marked.Open())
            {
                b.SendRaw(new byte[] { 0 }, new SafeHandle[] { h });
            }
            Task receive = await StartBlocked(() => a.ReceiveDescriptor().Dispose());
            a.Dispose();
            await AssertEndsDisposed(receive);
            Assert.Equal(0, marked.OpenCount());
        }
    }

    [Fact]
    public async Task A_pending_async_receive_ends_and_the_peer_sees_end_of_stream()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            Task<SafeFileHandle> receive = a.ReceiveDescriptorAsync(Ct).AsTask();
            await Task.Delay(100, Ct);
            Assert.False(receive.IsCompleted);
            a.Dispose();
            await AssertEndsDisposed(receive);
            b.Timeout = Bound;
            Assert.False(b.TryReceiveDescriptor(out _));
        }
    }

    [Fact]
    public async Task A_pending_async_frame_receive_ends()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            Task<FdMessage> receive = a.ReceiveFrameAsync(Ct).AsTask();
            await Task.Delay(100, Ct);
            a.Dispose();
            await AssertEndsDisposed(receive);
        }
    }

    [Fact]
    public async Task A_sync_send_blocked_on_a_full_buffer_ends()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            byte[] one = Fill(a);
            Task send = await StartBlocked(() => a.SendRaw(one, ReadOnlySpan<int>.Empty));
            a.Dispose();
            await AssertEndsDisposed(send);
        }
    }

    [Fact]
    public async Task An_async_send_blocked_on_a_full_buffer_ends()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            byte[] one = Fill(a);
            Task send = a.SendRawAsync(one, ReadOnlyMemory<int>.Empty, Ct).AsTask();
            await Task.Delay(100, Ct);
            Assert.False(send.IsCompleted);
            a.Dispose();
            await AssertEndsDisposed(send);
        }
    }

    [Fact]
    public async Task A_pending_sync_accept_ends_and_the_endpoint_is_gone()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        FdListener listener = FdListener.Create(path);
        Task accept = await StartBlocked(() => listener.Accept().Channel.Dispose());
        listener.Dispose();
        await AssertEndsDisposed(accept);
        Assert.Throws<FdPassingException>(() => FdChannel.Connect(path).Dispose());
    }

    [Fact]
    public async Task A_pending_async_accept_ends_and_an_abstract_name_is_free_again()
    {
        string name = "fdpasser-dispose-" + Guid.NewGuid().ToString("N");
        FdListener listener = FdListener.CreateAbstract(name);
        Task<FdConnection> accept = listener.AcceptAsync(Ct).AsTask();
        await Task.Delay(100, Ct);
        listener.Dispose();
        await AssertEndsDisposed(accept);
        using FdListener again = FdListener.CreateAbstract(name);
    }

    [Fact]
    public async Task Disposing_a_channel_with_a_pending_receive_leaves_a_shared_copy_of_its_socket_working()
    {
        var (a, b) = FdChannel.CreatePair();
        var (carrier, carried) = FdChannel.CreatePair();
        using (b)
        using (carrier)
        using (carried)
        {
            // A second descriptor for a's socket, as another process sharing it would hold.
            carrier.SendDescriptor(a.SafeHandle);
            using SafeFileHandle copy = carried.ReceiveDescriptor();
            Task receive = await StartBlocked(() => a.ReceiveDescriptor().Dispose());
            a.Dispose();
            await AssertEndsDisposed(receive);
            using FdChannel shared = FdChannel.FromDescriptor(DuplicateOwnership(copy));
            using SafeFileHandle devNull = File.OpenHandle("/dev/null");
            shared.SendDescriptor(devNull);
            b.Timeout = Bound;
            using SafeFileHandle received = b.ReceiveDescriptor();
            b.SendDescriptor(devNull);
            shared.Timeout = Bound;
            using SafeFileHandle back = shared.ReceiveDescriptor();
        }
    }

    /// <summary>Moves a received descriptor's ownership to the caller (FromDescriptor adopts the number).</summary>
    private static int DuplicateOwnership(SafeFileHandle handle)
    {
        int fd = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return fd;
    }

    [Fact]
    public void Operations_after_dispose_throw_ObjectDisposedException()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            a.Dispose();
            a.Dispose();
            Assert.Throws<ObjectDisposedException>(() => a.ReceiveDescriptor());
            Assert.Throws<ObjectDisposedException>(() => a.SendFrame("x"u8, ReadOnlySpan<SafeHandle>.Empty));
        }
    }
}
