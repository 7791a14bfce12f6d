using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Processes;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

public class ChildProcessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static async Task<(ChildExitStatus Status, string Output)> RunAsync(ChildProcessOptions options)
    {
        using var dir = new TempDir();
        string path = dir.File("out");
        using (SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        {
            options.StandardOutput = file;
            ChildProcess child = ChildProcess.Start(options);
            ChildExitStatus status = await child.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
            return (status, File.ReadAllText(path));
        }
    }

    [Fact]
    public async Task Our_own_receiving_end_finds_the_layout_by_name_typed_and_close_on_exec()
    {
        using var web = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        web.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        web.Listen();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using SafeFileHandle state = AnonymousMemory.Create("state");
        RandomAccess.Write(state, "generation 7"u8, 0);
        var options = new ChildProcessOptions(Peers.TestPeerCommand[0], [.. Peers.TestPeerCommand.Skip(1), "listen-report"])
            .PassDescriptor(web.SafeHandle, "web")
            .PassDescriptor(udp.SafeHandle, "metrics")
            .PassDescriptor(state, "state");
        var (status, output) = await RunAsync(options);
        Assert.True(status.Succeeded, status + ": " + output);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string pid = lines[0].Split(' ')[1];
        Assert.Equal($"pid {pid} listen_pid {pid}", lines[0]);
        Assert.Equal("fd 3 web Socket Stream listening=True cloexec=True", lines[1]);
        Assert.Equal("fd 4 metrics Socket Dgram listening=False cloexec=True", lines[2]);
        Assert.Equal("fd 5 state RegularFile Unknown listening=False cloexec=True", lines[3]);
        Assert.Equal("env unset", lines[4]);
        Assert.Equal("state generation 7", lines[5]);
    }

    [Fact]
    public async Task LISTEN_FDS_larger_than_what_was_passed_is_refused_without_touching_the_runtimes_own_descriptors()
    {
        using var web = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        web.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        web.Listen();
        // One descriptor passed, but LISTEN_FDS claims ten: 4 to 12 are whatever the child's runtime opened there.
        var options = new ChildProcessOptions("sh", ["-c", "LISTEN_FDS=10; export LISTEN_FDS; unset LISTEN_FDNAMES; exec \"$@\"", "sh", .. Peers.TestPeerCommand, "listen-overcount"])
            .PassDescriptor(web.SafeHandle, "web");
        var (status, output) = await RunAsync(options);
        Assert.True(status.Succeeded, status + ": " + output);
        Assert.Contains("refused FdPassingException", output);
        Assert.Contains("LISTEN_FDS=10", output);
        Assert.Contains("closed []", output);
        Assert.Contains("alive 90", output);
    }

    [Fact]
    public async Task Exit_codes_and_signals_are_reported_and_a_signal_after_the_end_is_refused()
    {
        var (status, _) = await RunAsync(new ChildProcessOptions("sh", "-c", "exit 3"));
        Assert.Equal(new ChildExitStatus(3, 0), status);
        Assert.False(status.Succeeded);

        ChildProcess sleeper = ChildProcess.Start(new ChildProcessOptions("sleep", "30"));
        Assert.True(sleeper.Signal(PosixSignal.SIGTERM));
        ChildExitStatus ended = await sleeper.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.Equal(15, ended.Signal);
        Assert.False(sleeper.Kill(), "a reaped child is never signalled again");

        ChildProcess stubborn = ChildProcess.Start(new ChildProcessOptions("sh", "-c", "trap '' TERM; sleep 30"));
        Thread.Sleep(200);
        Assert.True(stubborn.Kill());
        Assert.Equal(9, (await stubborn.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Bound, TestContext.Current.CancellationToken)).Signal);
    }

    [Fact]
    public async Task The_child_starts_with_default_signals_although_the_runtime_ignores_SIGPIPE()
    {
        // SIG_IGN survives exec unless reset; a child that inherited it would show SigIgn with bit 12 (SIGPIPE) set.
        // Signals 32 and 33 are glibc's own (thread cancellation, setxid): its posix_spawn leaves them ignored and
        // every glibc program installs its handlers for them at start, so only the standard signals 1-31 count.
        var (status, output) = await RunAsync(new ChildProcessOptions("grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status"));
        Assert.True(status.Succeeded, output);
        Assert.Equal(0UL, Mask(output, "SigIgn") & 0x7fffffffUL);
        Assert.Equal(0UL, Mask(output, "SigBlk"));
    }

    private static ulong Mask(string status, string name)
    {
        string line = status.Split('\n').First(l => l.StartsWith(name + ":", StringComparison.Ordinal));
        return Convert.ToUInt64(line.Substring(name.Length + 1).Trim(), 16);
    }

    [Fact]
    public void A_missing_program_is_an_error_at_start()
    {
        Assert.Throws<FileNotFoundException>(() => ChildProcess.Start(new ChildProcessOptions("fdpasser-no-such-program")));
        Assert.Throws<FileNotFoundException>(() => ChildProcess.Start(new ChildProcessOptions("/nonexistent/program")));
    }

    [Fact]
    public async Task Children_other_threads_start_meanwhile_inherit_none_of_the_passed_descriptors()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        string inode = ProcFs.Target(listener.SafeHandle);
        var seen = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        // Another thread keeps starting children through the runtime's own Process while ours are spawned.
        Task other = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using Process ls = Peers.Start("ls", "-l", "/proc/self/fd/");
                var (_, stdout, _) = await Peers.FinishAsync(ls);
                seen.Add(stdout);
            }
        }, TestContext.Current.CancellationToken);
        for (int i = 0; i < 40; i++)
        {
            var (status, output) = await RunAsync(new ChildProcessOptions("ls", "-l", "/proc/self/fd/").PassDescriptor(listener.SafeHandle, "web"));
            Assert.True(status.Succeeded);
            Assert.Contains(inode, output);
        }
        stop.Cancel();
        await other.WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.NotEmpty(seen);
        Assert.DoesNotContain(seen, s => s.Contains(inode, StringComparison.Ordinal));
    }
}
