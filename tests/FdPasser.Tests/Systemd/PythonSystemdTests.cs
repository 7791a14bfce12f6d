using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FdPasser.Processes;
using FdPasser.Systemd;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;
using FdPasser.TestSupport;

namespace FdPasser.Tests.Systemd;

/// <summary>Both sides of systemd's protocols against libsystemd, through Debian's python3-systemd.</summary>
public class PythonSystemdTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Libsystemd_notifications_arrive_with_fields_credentials_and_descriptors()
    {
        Python.RequireSystemd();
        using var dir = new TempDir();
        using var listener = NotificationListener.Bind(dir.File("notify"));
        const string script =
            "import os, systemd.daemon as d\n" +
            "fd = os.memfd_create('kept')\n" +
            "os.write(fd, b'generation 1')\n" +
            "assert d.notify('FDSTORE=1\\nFDNAME=x', fds=[fd])\n" +
            "assert d.notify('READY=1')\n" +
            "print(os.getpid(), os.getuid(), os.getgid())\n";
        var psi = new ProcessStartInfo(Python.Path, new[] { "-c", script }) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["NOTIFY_SOCKET"] = listener.Address;
        using Process python = TestProcesses.Start(psi);
        var (exit, stdout, stderr) = await Peers.FinishAsync(python);
        Assert.True(exit == 0, stderr);
        int[] ids = stdout.Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();

        using ServiceNotification store = await listener.ReceiveAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.True(store.IsFdStore);
        Assert.Equal("x", store.FdName);
        Assert.Equal(new PeerCredentials(ids[0], (uint)ids[1], (uint)ids[2]), store.Sender);
        Assert.Equal(1, store.DescriptorCount);
        using (SafeFileHandle kept = store.TakeDescriptor(0))
        {
            Assert.StartsWith("/memfd:kept", ProcFs.Target(kept));
            using var stream = new FileStream(kept, FileAccess.Read);
            stream.Position = 0;
            Assert.Equal("generation 1", new StreamReader(stream).ReadToEnd());
        }
        using ServiceNotification ready = await listener.ReceiveAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.True(ready.IsReady);
        Assert.Equal(ids[0], ready.Sender.ProcessId);
    }

    [Fact]
    public async Task A_child_started_with_an_exact_layout_reads_its_descriptors_with_libsystemd()
    {
        Python.RequireSystemd();
        using var web = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        web.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        web.Listen();
        using SafeFileHandle state = AnonymousMemory.Create("state", 16);
        // A descriptor this process left inheritable: the child must not get it either.
        using SafeFileHandle stray = AnonymousMemory.Create("stray");
        FdPasser.Platform.Target.Current.Sockets.SetCloseOnExec(stray, closeOnExec: false);
        using var output = new TempDir();
        string report = output.File("out");
        const string script =
            "import os, sys, socket, systemd.daemon as d\n" +
            "fds = d.listen_fds_with_names(unset_environment=False)\n" +
            "print(sorted(fds.items()))\n" +
            "print(os.environ['LISTEN_PID'] == str(os.getpid()))\n" +
            "print(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n" +
            "print(d.is_socket(3, socket.AF_INET, socket.SOCK_STREAM, 1))\n";
        var options = new ChildProcessOptions(Python.Path, "-c", script)
            .PassDescriptor(web.SafeHandle, "web")
            .PassDescriptor(state, "state");
        using (SafeFileHandle file = File.OpenHandle(report, FileMode.Create, FileAccess.Write))
        {
            options.StandardOutput = file;
            ChildProcess child = ChildProcess.Start(options);
            ChildExitStatus status = await child.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
            Assert.True(status.Succeeded, status + ": " + File.ReadAllText(report));
        }
        string[] lines = File.ReadAllLines(report);
        Assert.Equal("[(3, 'web'), (4, 'state')]", lines[0]);
        Assert.Equal("True", lines[1]);
        // 0-2, the two passed, and the one listdir itself opened: nothing else was inherited.
        Assert.Equal("[0, 1, 2, 3, 4, 5]", lines[2]);
        Assert.Equal("True", lines[3]);
        Assert.True(ProcFs.IsCloseOnExec(web.SafeHandle) && ProcFs.IsCloseOnExec(state), "the parent's copies stay close-on-exec");
    }
}
