using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FdPasser.Platform;
using FdPasser.Systemd;
using FdPasser.TestSupport;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

/// <summary>
/// SO_PASSPIDFD (Linux 6.5): every datagram brings a pidfd of its sender, installed in the receiver by the kernel.
/// The notification owns it: it names the sender, is close-on-exec, is never one of the stored descriptors, and is
/// closed with the notification or with a refused datagram.
/// </summary>
public class NotificationSenderPidfdTests
{
    private static NotificationListener BindOrSkip()
    {
        var listener = NotificationListener.Bind("@fdpasser-test-" + Guid.NewGuid().ToString("N"));
        new ServiceNotifier(listener.Address).Status("probe");
        using ServiceNotification probe = listener.Receive();
        if (!probe.SenderPidfdSent)
        {
            listener.Dispose();
            Assert.Skip(Emulation.Emulator is { } emulator
                ? $"no SCM_PIDFD came under {emulator}, which does not translate SO_PASSPIDFD (Linux 6.5); natively the test runs, and NotificationListener falls back to SCM_CREDENTIALS as under a kernel without it"
                : $"the kernel ({Environment.OSVersion.Version}) has no SO_PASSPIDFD: it came with Linux 6.5");
        }
        return listener;
    }

    [Fact]
    public void Each_datagram_brings_the_senders_pidfd_which_the_notification_closes_on_dispose()
    {
        using NotificationListener listener = BindOrSkip();
        var notifier = new ServiceNotifier(listener.Address);
        using SafeFileHandle memory = AnonymousMemory.Create("state", 4096);
        HashSet<string> baseline = ProcFs.Snapshot();
        for (int i = 0; i < 3; i++)
        {
            notifier.StoreDescriptors("state", new System.Runtime.InteropServices.SafeHandle[] { memory }, poll: false);
            ServiceNotification n = listener.Receive();
            SafeFileHandle? pidfd = n.SenderPidfd;
            Assert.NotNull(pidfd);
            Assert.Contains("pidfd", ProcFs.Target(pidfd!), StringComparison.Ordinal);
            Assert.True(ProcFs.IsCloseOnExec(pidfd!), "the kernel installs SCM_PIDFD close-on-exec");
            Assert.Equal(Environment.ProcessId, Target.Current.Processes.ReadPidfdPid(pidfd!));
            // Only the stored descriptor is the app's: the pidfd is not among them.
            Assert.Equal(1, n.DescriptorCount);
            n.Dispose();
            Assert.True(pidfd!.IsClosed);
            ProcFs.AssertNoNewDescriptors(baseline);
        }
    }

    [Fact]
    public void A_taken_pidfd_is_the_takers_and_dispose_leaves_it_open()
    {
        using NotificationListener listener = BindOrSkip();
        new ServiceNotifier(listener.Address).Ready();
        ServiceNotification n = listener.Receive();
        using SafeFileHandle? taken = n.TakeSenderPidfd();
        Assert.NotNull(taken);
        Assert.Null(n.SenderPidfd);
        n.Dispose();
        Assert.False(taken!.IsClosed);
        Assert.Equal(Environment.ProcessId, Target.Current.Processes.ReadPidfdPid(taken));
    }

    [Fact]
    public void A_refused_datagram_closes_its_senders_pidfd_with_its_descriptors()
    {
        using NotificationListener listener = BindOrSkip();
        using var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        HashSet<string> baseline = ProcFs.Snapshot();
        var to = new UnixDomainSocketEndPoint("\0" + listener.Address.Substring(1));
        for (int i = 0; i < 5; i++)
        {
            sender.SendTo(Encoding.ASCII.GetBytes("no equals sign"), to);
            Assert.Throws<MalformedNotificationException>(() => listener.Receive());
        }
        ProcFs.AssertNoNewDescriptors(baseline);
    }

    [Fact]
    public void A_sender_reaped_before_the_read_is_not_named_by_its_number()
    {
        using NotificationListener listener = BindOrSkip();
        if (!System.IO.File.Exists("/usr/bin/python3"))
        {
            Assert.Skip("needs /usr/bin/python3 (Debian package python3) to send from another process");
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import os, socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(b'STATUS=gone', '\\0' + sys.argv[1][1:])\nprint(os.getpid())");
        start.ArgumentList.Add(listener.Address);
        using (Process p = Process.Start(start)!)
        {
            p.WaitForExit(); // reaped here: its number is free before the datagram is read
            Assert.Equal(0, p.ExitCode);
        }
        using ServiceNotification n = listener.Receive();
        Assert.Equal("gone", n.Status);
        Assert.True(n.SenderPidfdSent);
        // Kernels 6.5 to 6.15 send an error instead of a pidfd for a reaped sender; later ones a pidfd whose Pid: is -1.
        if (n.SenderPidfd is { } pidfd)
        {
            Assert.Equal(-1, Target.Current.Processes.ReadPidfdPid(pidfd));
        }
    }
}
