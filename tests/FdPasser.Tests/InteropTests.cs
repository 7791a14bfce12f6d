using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// Peers this project did not write, both directions: C programs speaking the classic protocol (as
/// File::FDpasser does), Python's socket.send_fds/recv_fds, and Perl's IO::FDPass.
/// </summary>
public class InteropTests
{
    private static System.Threading.CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RequireTool(string name, string package)
    {
        string? path = Peers.FindOnPath(name);
        if (path is null)
        {
            Assert.Skip($"{name} is not installed: install the Debian package {package} (.ci/run does).");
        }
        return path;
    }

    private static string ClassicPeer()
    {
        string gcc = RequireTool(TestPrograms.CCompiler, TestPrograms.CCompilerPackage);
        string output = Path.Combine(AppContext.BaseDirectory, "classic_peer");
        if (!File.Exists(output))
        {
            using Process p = Peers.Start(gcc, "-O1", "-Wall", "-o", output, Path.Combine(AppContext.BaseDirectory, "Interop", "classic_peer.c"));
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "gcc failed: " + p.StandardError.ReadToEnd());
        }
        return output;
    }

    private static void RequirePerlModule(string module)
    {
        RequireTool("perl", "perl");
        using Process p = Peers.Start("perl", "-M" + module, "-e", "1");
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Assert.Skip($"Perl's {module} is not installed: install the Debian package libio-fdpass-perl (.ci/run does).");
        }
    }

    private static async Task<string> ServeOne(FdListener listener, Process peer, Action<FdChannel> serve)
    {
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        {
            serve(connection.Channel);
        }
        var (exit, stdout, stderr) = await Peers.FinishAsync(peer);
        Assert.True(exit == 0, $"peer exited {exit}: {stderr}");
        return stdout.Trim();
    }

    [Fact]
    public async Task A_classic_C_receiver_gets_our_descriptor()
    {
        using var dir = new TempDir();
        string file = dir.WriteFile("f", "for the C peer");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        string stdout = await ServeOne(listener, Peers.Start(ClassicPeer(), "recv", listener.Path), channel =>
        {
            using FileStream f = File.OpenRead(file);
            channel.SendDescriptor(f);
        });
        Assert.Equal("read: for the C peer", stdout);
    }

    [Fact]
    public async Task A_classic_C_receiver_sees_our_error_status_and_text()
    {
        using var dir = new TempDir();
        using FdListener listener = FdListener.Create(dir.File("ep"));
        Process peer = Peers.Start(ClassicPeer(), "recv", listener.Path);
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        {
            connection.Channel.SendError(13, "permission denied");
        }
        var (exit, _, stderr) = await Peers.FinishAsync(peer);
        Assert.Equal(1, exit);
        Assert.Contains("permission denied", stderr);
        Assert.Contains("error status 13", stderr);
    }

    [Fact]
    public async Task We_receive_from_a_classic_C_sender()
    {
        using var dir = new TempDir();
        string file = dir.WriteFile("f", "from C");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        Process peer = Peers.Start(ClassicPeer(), "send", listener.Path, file);
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        using (SafeFileHandle received = await connection.Channel.ReceiveDescriptorAsync(Ct))
        using (FileStream stream = FdHandles.ToFileStream(received))
        {
            Assert.Equal("from C", new StreamReader(stream).ReadToEnd());
        }
        Assert.Equal(0, (await Peers.FinishAsync(peer)).Exit);
    }

    [Fact]
    public async Task We_see_a_classic_C_senders_error_status()
    {
        using var dir = new TempDir();
        using FdListener listener = FdListener.Create(dir.File("ep"));
        Process peer = Peers.Start(ClassicPeer(), "senderr", listener.Path, "2");
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        {
            FdPeerErrorException e = await Assert.ThrowsAsync<FdPeerErrorException>(async () => await connection.Channel.ReceiveDescriptorAsync(Ct));
            Assert.Equal(2, e.ErrorCode);
            Assert.Equal("refused by the C peer", e.PeerMessage);
        }
        Assert.Equal(0, (await Peers.FinishAsync(peer)).Exit);
    }

    private const string PythonReceiver = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        msg, fds, flags, addr = socket.recv_fds(s, 64, 8)
        out = [msg.decode()]
        for fd in fds:
            out.append(os.read(fd, 100).decode())
            os.close(fd)
        print("|".join(out))
        """;

    private const string PythonSender = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        fds = [os.open(p, os.O_RDONLY) for p in sys.argv[2:]]
        socket.send_fds(s, [b"from python"], fds)
        s.recv(1)
        """;

    [Fact]
    public async Task Python_recv_fds_receives_our_raw_message()
    {
        string python = RequireTool("python3", "python3");
        using var dir = new TempDir();
        string f1 = dir.WriteFile("1", "one"), f2 = dir.WriteFile("2", "two");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        string stdout = await ServeOne(listener, Peers.Start(python, "-c", PythonReceiver, listener.Path), channel =>
        {
            using SafeFileHandle h1 = File.OpenHandle(f1), h2 = File.OpenHandle(f2);
            channel.SendRaw("to python"u8, new SafeHandle[] { h1, h2 });
        });
        Assert.Equal("to python|one|two", stdout);
    }

    [Fact]
    public async Task We_receive_what_python_send_fds_sends()
    {
        string python = RequireTool("python3", "python3");
        using var dir = new TempDir();
        string f1 = dir.WriteFile("1", "one"), f2 = dir.WriteFile("2", "two");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        Process peer = Peers.Start(python, "-c", PythonSender, listener.Path, f1, f2);
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        {
            using FdMessage message = await connection.Channel.ReceiveRawAsync(64, 8, Ct);
            Assert.Equal("from python", Encoding.UTF8.GetString(message.Payload.Span));
            SafeFileHandle[] handles = message.TakeAllDescriptors();
            Assert.Equal(2, handles.Length);
            Assert.All(handles, h => Assert.True(ProcFs.IsCloseOnExec(h)));
            Assert.Equal(new[] { "one", "two" }, Array.ConvertAll(handles, h =>
            {
                using FileStream s = FdHandles.ToFileStream(h);
                return new StreamReader(s).ReadToEnd();
            }));
        }
        Assert.Equal(0, (await Peers.FinishAsync(peer)).Exit);
    }

    private const string PerlReceiver = """
        use IO::Socket::UNIX; use IO::FDPass;
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
        my $fd = IO::FDPass::recv(fileno $s);
        die "recv failed" if $fd < 0;
        open(my $fh, "<&=", $fd) or die "fdopen: $!";
        print "perl read: ", scalar(<$fh>), "\n";
        """;

    private const string PerlSender = """
        use IO::Socket::UNIX; use IO::FDPass;
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
        open(my $fh, "<", $ARGV[1]) or die "open: $!";
        IO::FDPass::send(fileno $s, fileno $fh) or die "send failed";
        my $ack; sysread($s, $ack, 1);
        """;

    [Fact]
    public async Task Perl_IO_FDPass_receives_our_descriptor()
    {
        RequirePerlModule("IO::FDPass");
        using var dir = new TempDir();
        string file = dir.WriteFile("f", "for perl");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        string stdout = await ServeOne(listener, Peers.Start("perl", "-e", PerlReceiver, listener.Path), channel =>
        {
            using SafeFileHandle h = File.OpenHandle(file);
            // IO::FDPass sends and expects one byte with one descriptor.
            channel.SendRaw(new byte[] { 0 }, new SafeHandle[] { h });
        });
        Assert.Equal("perl read: for perl", stdout);
    }

    [Fact]
    public async Task We_receive_from_Perl_IO_FDPass()
    {
        RequirePerlModule("IO::FDPass");
        using var dir = new TempDir();
        string file = dir.WriteFile("f", "from perl");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        using Process peer = Peers.Start("perl", "-e", PerlSender, listener.Path, file);
        FdConnection connection = await Peers.AcceptFromAsync(listener, peer);
        using (connection.Channel)
        {
            using FdMessage message = await connection.Channel.ReceiveRawAsync(1, 1, Ct);
            Assert.Equal(1, message.Payload.Length);
            using SafeFileHandle h = message.TakeDescriptor(0);
            using FileStream s = FdHandles.ToFileStream(h);
            Assert.Equal("from perl", new StreamReader(s).ReadToEnd());
            Assert.Equal(peer.Id, connection.Peer.ProcessId);
        }
        Assert.Equal(0, (await Peers.FinishAsync(peer)).Exit);
    }
}
