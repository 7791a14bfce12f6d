using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

public class ListenerTests
{
    [Fact]
    public void Connect_accept_and_pass_over_a_named_endpoint_with_peer_credentials()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        using FdListener listener = FdListener.Create(path);
        using FdChannel client = FdChannel.Connect(path);
        FdConnection connection = listener.Accept();
        using FdChannel server = connection.Channel;
        Assert.Equal(Environment.ProcessId, connection.Peer.ProcessId);
        Assert.Equal(uint.Parse(GetUid()), connection.Peer.UserId);
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            server.SendDescriptor(devNull);
        }
        using SafeFileHandle received = client.ReceiveDescriptor();
        Assert.Equal("/dev/null", ProcFs.Target(received));
    }

    internal static string GetUid()
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]; // effective uid
            }
        }
        throw new InvalidOperationException("no Uid line in /proc/self/status");
    }

    [Fact]
    public void The_socket_file_is_0600_by_default_and_the_mode_can_be_widened()
    {
        using var dir = new TempDir();
        using (FdListener.Create(dir.File("a")))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("a")));
        }
        var wide = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        using (FdListener.Create(dir.File("b"), new FdListenerOptions { FileMode = wide }))
        {
            Assert.Equal(wide, File.GetUnixFileMode(dir.File("b")));
        }
    }

    [Fact]
    public void Dispose_removes_the_socket_file()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        FdListener listener = FdListener.Create(path);
        Assert.True(File.Exists(path));
        listener.Dispose();
        Assert.False(File.Exists(path));
        FdPassingException e = Assert.Throws<FdPassingException>(() => FdChannel.Connect(path));
        Assert.Equal("ENOENT", e.ErrnoName);
        Assert.Equal("connect", e.Syscall);
        Assert.Contains("connect() failed", e.Message);
    }

    [Fact]
    public void A_stale_socket_file_is_replaced()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        FdListener first = FdListener.Create(path);
        // Close the socket without removing its file, as a crashed server leaves it.
        first.SafeHandle.Dispose();
        Assert.True(File.Exists(path));
        FdPassingException refused = Assert.Throws<FdPassingException>(() => FdChannel.Connect(path));
        Assert.Equal("ECONNREFUSED", refused.ErrnoName);
        using FdListener second = FdListener.Create(path);
        using FdChannel client = FdChannel.Connect(path);
        using FdChannel server = second.Accept().Channel;
    }

    [Fact]
    public void A_live_endpoint_is_not_replaced()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        using FdListener first = FdListener.Create(path);
        IOException e = Assert.Throws<IOException>(() => FdListener.Create(path));
        Assert.Contains("listening there already", e.Message);
        using FdChannel client = FdChannel.Connect(path);
        using FdChannel server = first.Accept().Channel;
    }

    [Fact]
    public void A_regular_file_at_the_path_is_refused_and_left_alone()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("precious", "data");
        IOException e = Assert.Throws<IOException>(() => FdListener.Create(path));
        Assert.Contains("not a socket", e.Message);
        Assert.Equal("data", File.ReadAllText(path));
    }

    [Fact]
    public void A_path_too_long_for_sockaddr_un_is_rejected_before_any_syscall()
    {
        string path = "/tmp/" + new string('x', 200);
        ArgumentException e = Assert.Throws<ArgumentException>(() => FdListener.Create(path));
        Assert.Contains("at most", e.Message);
    }

    [Fact]
    public void Poll_reports_pending_connections()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        using FdListener listener = FdListener.Create(path);
        Assert.False(listener.Poll(TimeSpan.FromMilliseconds(20)));
        using FdChannel client = FdChannel.Connect(path);
        Assert.True(listener.Poll(TimeSpan.FromSeconds(5)));
        using FdChannel server = listener.Accept().Channel;
        Assert.False(listener.Poll(TimeSpan.Zero));
    }

    [Fact]
    public void Abstract_names_connect_without_a_file()
    {
        string name = "fdpasser-test-" + Guid.NewGuid().ToString("N");
        using FdListener listener = FdListener.CreateAbstract(name);
        Assert.True(listener.IsAbstract);
        using FdChannel client = FdChannel.ConnectAbstract(name);
        FdConnection connection = listener.Accept();
        using FdChannel server = connection.Channel;
        Assert.Equal(Environment.ProcessId, connection.Peer.ProcessId);
        Assert.False(File.Exists(name));
    }

    [Fact]
    public async Task Accept_async_completes_when_a_client_connects_and_can_be_cancelled()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        using FdListener listener = FdListener.Create(path);
        using (var cts = new CancellationTokenSource())
        {
            ValueTask<FdConnection> pending = listener.AcceptAsync(cts.Token);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        }
        ValueTask<FdConnection> accept = listener.AcceptAsync(TestContext.Current.CancellationToken);
        using FdChannel client = await FdChannel.ConnectAsync(path, TestContext.Current.CancellationToken);
        FdConnection connection = await accept;
        using FdChannel server = connection.Channel;
        Assert.Equal(Environment.ProcessId, connection.Peer.ProcessId);
        using (SafeFileHandle devNull = File.OpenHandle("/dev/null"))
        {
            await server.SendDescriptorAsync(devNull, TestContext.Current.CancellationToken);
        }
        using SafeFileHandle received = await client.ReceiveDescriptorAsync(TestContext.Current.CancellationToken);
        Assert.Equal("/dev/null", ProcFs.Target(received));
    }

    [Fact]
    public async Task Connecting_asynchronously_to_a_dead_endpoint_names_the_errno()
    {
        using var dir = new TempDir();
        FdPassingException e = await Assert.ThrowsAsync<FdPassingException>(
            async () => await FdChannel.ConnectAsync(dir.File("nobody"), TestContext.Current.CancellationToken));
        Assert.Equal("ENOENT", e.ErrnoName);
    }

    [Fact]
    public void Connecting_to_a_path_that_is_not_a_socket_says_so()
    {
        using var dir = new TempDir();
        string file = dir.WriteFile("plain", "not a socket");
        FdPassingException e = Assert.Throws<FdPassingException>(() => FdChannel.Connect(file).Dispose());
        Assert.Contains("not a socket", e.Message);
        Assert.Equal("ECONNREFUSED", e.ErrnoName);
    }

    [Fact]
    public async Task Connecting_asynchronously_to_a_path_that_is_not_a_socket_says_so()
    {
        using var dir = new TempDir();
        string file = dir.WriteFile("plain", "not a socket");
        FdPassingException e = await Assert.ThrowsAsync<FdPassingException>(async () => (await FdChannel.ConnectAsync(file, TestContext.Current.CancellationToken)).Dispose());
        Assert.Contains("not a socket", e.Message);
    }
}
