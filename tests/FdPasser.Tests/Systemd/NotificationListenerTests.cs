using System;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Systemd;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

public class NotificationListenerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Ready_with_status_arrives_with_the_senders_credentials()
    {
        using var dir = new TempDir();
        using var listener = NotificationListener.Bind(dir.File("notify"));
        var notifier = new ServiceNotifier(listener.Address);
        Assert.Equal(NotifyResult.Sent, notifier.Ready("serving 3 clients"));
        using ServiceNotification n = await listener.ReceiveAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.True(n.IsReady);
        Assert.Equal("serving 3 clients", n.Status);
        Assert.Equal(Environment.ProcessId, n.Sender.ProcessId);
        Assert.Equal(0, n.DescriptorCount);
    }

    [Fact]
    public void Stored_descriptors_arrive_owned_under_their_name_and_are_closed_on_dispose()
    {
        using var dir = new TempDir();
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        var notifier = new ServiceNotifier(listener.Address);
        using SafeFileHandle memory = AnonymousMemory.Create("state", 4096);
        using SafeFileHandle file = File.OpenHandle(dir.WriteFile("f", "x"));
        var baseline = ProcFs.Snapshot();
        notifier.StoreDescriptors("state", new SafeHandle[] { memory, file }, poll: false);
        ServiceNotification n = listener.Receive();
        Assert.True(n.IsFdStore);
        Assert.Equal("state", n.FdName);
        Assert.False(n.FdPoll);
        Assert.Equal(2, n.DescriptorCount);
        using (SafeFileHandle first = n.TakeDescriptor(0))
        {
            Assert.StartsWith("/memfd:state", ProcFs.Target(first));
            Assert.True(ProcFs.IsCloseOnExec(first));
        }
        n.Dispose();
        ProcFs.AssertNoNewDescriptors(baseline);
    }

    [Fact]
    public void Every_notification_kind_is_sent_as_systemd_spells_it()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        var notifier = new ServiceNotifier(listener.Address);
        notifier.Reloading();
        using (ServiceNotification n = listener.Receive())
        {
            Assert.True(n.IsReloading);
            Assert.InRange((long)n.MonotonicMicroseconds!.Value, 1, long.MaxValue);
        }
        notifier.Stopping();
        using (ServiceNotification n = listener.Receive())
        {
            Assert.True(n.IsStopping);
        }
        notifier.MainPid(4242);
        using (ServiceNotification n = listener.Receive())
        {
            Assert.Equal(4242, n.MainPid);
        }
        notifier.RemoveStoredDescriptors("old");
        using (ServiceNotification n = listener.Receive())
        {
            Assert.True(n.IsFdStoreRemove);
            Assert.Equal("old", n.FdName);
        }
    }

    [Fact]
    public async Task A_barrier_returns_once_the_manager_closes_its_descriptor()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        var notifier = new ServiceNotifier(listener.Address);
        Assert.False(notifier.Barrier(TimeSpan.FromMilliseconds(200)), "nobody handled it yet");
        using (ServiceNotification first = listener.Receive())
        {
            Assert.True(first.IsBarrier);
        }
        var manager = Task.Run(() =>
        {
            using ServiceNotification n = listener.Receive();
            return n.IsBarrier && n.DescriptorCount == 1;
        }, TestContext.Current.CancellationToken);
        Assert.True(notifier.Barrier(Bound));
        Assert.True(await manager.WaitAsync(Bound, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Without_NOTIFY_SOCKET_notifying_is_a_no_op_that_says_so()
    {
        Assert.Null(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        ServiceNotifier notifier = ServiceNotifier.FromEnvironment();
        Assert.False(notifier.IsEnabled);
        Assert.Equal(NotifyResult.NoServiceManager, notifier.Ready());
        using SafeFileHandle memory = AnonymousMemory.Create("x");
        Assert.Equal(NotifyResult.NoServiceManager, notifier.StoreDescriptors("x", new SafeHandle[] { memory }));
        Assert.True(notifier.Barrier(TimeSpan.Zero));
    }

    [Fact]
    public void Malformed_datagrams_are_refused_their_descriptors_closed_and_the_listener_goes_on()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"),
            new NotificationListenerOptions { MaxMessageBytes = 64, MaxDescriptors = 1 });
        var notifier = new ServiceNotifier(listener.Address);
        var baseline = ProcFs.Snapshot();
        using (SafeFileHandle a = AnonymousMemory.Create("a"))
        using (SafeFileHandle b = AnonymousMemory.Create("b"))
        {
            // Well-formed text, but more descriptors than this listener accepts.
            notifier.Notify("FDSTORE=1\nFDNAME=two", new SafeHandle[] { a, b });
            notifier.Notify("FDSTORE=1\nFDNAME=" + new string('n', 80));
            notifier.Notify("READY=maybe", new SafeHandle[] { a });
        }
        var tooMany = Assert.Throws<MalformedNotificationException>(() => listener.Receive());
        Assert.Equal(2, tooMany.DescriptorsClosed);
        Assert.Contains("at most 1", tooMany.Message);
        Assert.Equal(Environment.ProcessId, tooMany.Sender!.Value.ProcessId);
        Assert.Contains("longer than 64 bytes", Assert.Throws<MalformedNotificationException>(() => listener.Receive()).Message);
        var bad = Assert.Throws<MalformedNotificationException>(() => listener.Receive());
        Assert.Contains("READY=maybe", bad.Message);
        Assert.Equal(1, bad.DescriptorsClosed);
        ProcFs.AssertNoNewDescriptors(baseline);
        notifier.Ready();
        using ServiceNotification n = listener.Receive();
        Assert.True(n.IsReady);
    }

    [Fact]
    public void Raw_garbage_from_another_socket_is_refused()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        using var raw = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var to = new UnixDomainSocketEndPoint("\0" + listener.Address.Substring(1));
        raw.SendTo(new byte[] { 0xff, 0xfe, (byte)'=', 0 }, to);
        raw.SendTo(Array.Empty<byte>(), to);
        raw.SendTo(Encoding.UTF8.GetBytes("STATUS=fine"), to);
        Assert.Contains("NUL", Assert.Throws<MalformedNotificationException>(() => listener.Receive()).Message);
        Assert.Contains("empty", Assert.Throws<MalformedNotificationException>(() => listener.Receive()).Message);
        using ServiceNotification n = listener.Receive();
        Assert.Equal("fine", n.Status);
    }

    [Fact]
    public async Task A_cancelled_receive_consumes_nothing()
    {
        using var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.ReceiveAsync(cts.Token));
        new ServiceNotifier(listener.Address).Status("after");
        using ServiceNotification n = await listener.ReceiveAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.Equal("after", n.Status);
    }

    [Fact]
    public void A_manager_that_is_gone_is_an_error_naming_the_call_and_errno()
    {
        using var dir = new TempDir();
        var notifier = new ServiceNotifier(dir.File("gone"));
        var e = Assert.Throws<FdPassingException>(() => notifier.Ready());
        Assert.Equal("connect", e.Syscall);
        Assert.Equal("ENOENT", e.ErrnoName);
        Assert.Contains(dir.File("gone"), e.Message);
    }

    [Fact]
    public void Names_and_messages_systemd_would_refuse_are_refused_before_sending()
    {
        var notifier = new ServiceNotifier("@unused");
        Assert.Throws<ArgumentException>(() => notifier.RemoveStoredDescriptors("a:b"));
        Assert.Throws<ArgumentException>(() => notifier.Notify("READY"));
        Assert.Throws<ArgumentException>(() => notifier.Status("two\nlines"));
        Assert.Throws<ArgumentException>(() => notifier.Notify("STATUS=" + new string('x', 5000)));
        Assert.Throws<ArgumentException>(() => new ServiceNotifier("relative/path"));
    }
}
