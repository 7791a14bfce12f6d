using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Systemd;
using FdPasser.Tests.Support;

namespace FdPasser.Tests.Systemd;

/// <summary>
/// The notification socket under a hostile filesystem and careless callers: its mode is never set through a path
/// someone else can swap, disposal removes only its own file, receives do not share buffers, bad options are refused.
/// </summary>
public class NotificationListenerSafetyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void Binding_while_a_symlink_is_swapped_in_never_changes_the_victims_mode()
    {
        using var dir = new TempDir();
        string victim = dir.WriteFile("victim", "private");
        File.SetUnixFileMode(victim, Private);
        string path = dir.File("notify");
        string staged = dir.File("staged");
        var options = new NotificationListenerOptions { FileMode = Private | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite };
        using var stop = new CancellationTokenSource();
        // The attacker: keeps replacing whatever is at the path (the new socket file) by a symlink to the victim.
        var swapper = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    File.CreateSymbolicLink(staged, victim);
                    File.Move(staged, path, overwrite: true);
                }
                catch (IOException)
                {
                }
            }
        });
        swapper.Start();
        int bound = 0, refused = 0;
        try
        {
            var time = Stopwatch.StartNew();
            for (int i = 0; i < 2000 && time.Elapsed < TimeSpan.FromSeconds(15) && File.GetUnixFileMode(victim) == Private; i++)
            {
                try
                {
                    File.Delete(path);
                    using var listener = NotificationListener.Bind(path, options);
                    bound++;
                }
                catch (Exception e) when (e is FdPassingException or IOException)
                {
                    refused++;
                }
            }
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }
        Assert.Equal(Private, File.GetUnixFileMode(victim));
        Assert.True(bound + refused > 0);
    }

    [Fact]
    public void Disposing_leaves_a_successors_socket_at_the_same_path_even_when_disposed_twice()
    {
        using var dir = new TempDir();
        string path = dir.File("notify");
        NotificationListener old = NotificationListener.Bind(path);
        File.Delete(path);
        using NotificationListener successor = NotificationListener.Bind(path);
        old.Dispose();
        old.Dispose();
        Assert.True(File.Exists(path), "disposing the first listener removed its successor's socket file");
        Assert.Equal(NotifyResult.Sent, new ServiceNotifier(path).Ready());
        using ServiceNotification n = successor.Receive();
        Assert.True(n.IsReady);
    }

    [Fact]
    public void Disposing_removes_its_own_file_once()
    {
        using var dir = new TempDir();
        string path = dir.File("notify");
        NotificationListener listener = NotificationListener.Bind(path);
        Assert.Equal(Private, File.GetUnixFileMode(path));
        listener.Dispose();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_second_concurrent_receive_is_refused_and_the_first_gets_its_notification()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        ValueTask<ServiceNotification> first = listener.ReceiveAsync(TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Task.Run(() => listener.Receive(), TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await listener.ReceiveAsync(TestContext.Current.CancellationToken));
        new ServiceNotifier(listener.Address).Status("one");
        using ServiceNotification n = await first.AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.Equal("one", n.Status);
        // Once the first has returned, the next receive is allowed.
        new ServiceNotifier(listener.Address).Status("two");
        using ServiceNotification next = listener.Receive();
        Assert.Equal("two", next.Status);
    }

    [Fact]
    public async Task Concurrent_receivers_each_get_their_own_notifications_descriptors()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        var notifier = new ServiceNotifier(listener.Address);
        const int Count = 3000;
        await Warm.UpAsync();
        var baseline = ProcFs.Snapshot();
        var sender = Task.Run(() =>
        {
            for (int i = 0; i < Count; i++)
            {
                using var memory = AnonymousMemory.Create("n" + i);
                notifier.StoreDescriptors("n" + i, new System.Runtime.InteropServices.SafeHandle[] { memory }, poll: false);
            }
        }, TestContext.Current.CancellationToken);
        // Let datagrams queue up, so the receivers always find several waiting at once.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        int received = 0, refused = 0;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var receivers = new Task[4];
        for (int r = 0; r < receivers.Length; r++)
        {
            receivers[r] = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    ServiceNotification n;
                    try
                    {
                        // The synchronous receive: no await between the wake-up and the recvmsg, so receivers meet often.
                        n = listener.Receive();
                    }
                    catch (InvalidOperationException)
                    {
                        Interlocked.Increment(ref refused);
                        await Task.Yield();
                        continue;
                    }
                    catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                    {
                        return;
                    }
                    using (n)
                    {
                        using var fd = n.TakeDescriptor(0);
                        Assert.StartsWith("/memfd:" + n.FdName + " ", ProcFs.Target(fd));
                    }
                    if (Interlocked.Increment(ref received) == Count)
                    {
                        done.Cancel();
                    }
                }
            }, TestContext.Current.CancellationToken);
        }
        await sender.WaitAsync(Bound, TestContext.Current.CancellationToken);
        await Task.WhenAny(Task.WhenAll(receivers), Task.Delay(Bound, done.Token)).ContinueWith(_ => { }, TestContext.Current.CancellationToken);
        Assert.Equal(Count, received);
        // A receiver still blocked in the synchronous receive is ended by the dispose.
        listener.Dispose();
        await Task.WhenAll(receivers).WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.Equal(Count, received);
        ProcFs.AssertNoNewDescriptors(baseline);
    }

    [Fact]
    public async Task A_receive_ended_by_dispose_throws_ObjectDisposedException()
    {
        NotificationListener listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        ValueTask<ServiceNotification> pending = listener.ReceiveAsync(TestContext.Current.CancellationToken);
        Task<ServiceNotification> blocked = Task.Run(() => listener.Receive(), TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        listener.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken));
        // The synchronous receive either lost the race for the receive (refused) or was woken by the dispose.
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => blocked.WaitAsync(Bound, TestContext.Current.CancellationToken));
        Assert.True(e is ObjectDisposedException or InvalidOperationException, e.ToString());
        Assert.Throws<ObjectDisposedException>(() => listener.Receive());
    }

    [Fact]
    public void A_synchronous_receive_is_woken_by_dispose()
    {
        NotificationListener listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        Task<ServiceNotification> blocked = Task.Run(() => listener.Receive(), TestContext.Current.CancellationToken);
        Thread.Sleep(200);
        listener.Dispose();
        Assert.IsType<ObjectDisposedException>(Assert.ThrowsAny<Exception>(() => blocked.WaitAsync(Bound, TestContext.Current.CancellationToken).GetAwaiter().GetResult()));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData((1 << 20) + 1)]
    [InlineData(0)]
    public void A_message_size_beyond_what_a_datagram_can_carry_is_refused_at_bind(int bytes)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"), new NotificationListenerOptions { MaxMessageBytes = bytes }));
        Assert.Contains("MaxMessageBytes", e.Message);
    }
}
