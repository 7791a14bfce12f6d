using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>Descriptors passed to and from another process, which uses them for real.</summary>
public class CrossProcessTests
{
    /// <summary>Creates a pair whose second end a child started next inherits; returns the parent's end.</summary>
    private static (FdChannel Parent, FdChannel ChildEnd) PairForChild()
    {
        var (parent, child) = FdChannel.CreatePair();
        child.SetInheritable(true);
        return (parent, child);
    }

    [Fact]
    public async Task A_spawned_child_reads_a_file_passed_over_an_inherited_pair()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("secret.txt", "only the parent could open this");
        var (parent, childEnd) = PairForChild();
        using (parent)
        {
            var child = Peers.StartTestPeer("pair-read", childEnd.Descriptor.ToString());
            childEnd.Dispose(); // the child has its own copy now
            using (FileStream file = File.OpenRead(path))
            {
                parent.SendDescriptor(file);
            }
            var (exit, stdout, stderr) = await Peers.FinishAsync(child);
            Assert.True(exit == 0, stderr);
            Assert.Equal("read: only the parent could open this", stdout.Trim());
        }
    }

    [Fact]
    public async Task A_spawned_child_writes_through_a_passed_pipe()
    {
        var (parent, childEnd) = PairForChild();
        using (parent)
        {
            var child = Peers.StartTestPeer("pair-write", childEnd.Descriptor.ToString(), "written by the child");
            childEnd.Dispose();
            using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
            parent.SendDescriptor(pipe.ClientSafePipeHandle);
            pipe.DisposeLocalCopyOfClientHandle();
            var (exit, _, stderr) = await Peers.FinishAsync(child);
            Assert.True(exit == 0, stderr);
            Assert.Equal("written by the child", await new StreamReader(pipe).ReadToEndAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task A_child_passes_a_file_back_to_the_parent()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("from-child.txt", "opened by the child");
        var (parent, childEnd) = PairForChild();
        using (parent)
        {
            var child = Peers.StartTestPeer("pair-send", childEnd.Descriptor.ToString(), path);
            childEnd.Dispose();
            using (SafeFileHandle received = await parent.ReceiveDescriptorAsync(TestContext.Current.CancellationToken))
            using (FileStream stream = FdHandles.ToFileStream(received))
            {
                Assert.Equal("opened by the child", new StreamReader(stream).ReadToEnd());
            }
            parent.Dispose();
            var (exit, _, stderr) = await Peers.FinishAsync(child);
            Assert.True(exit == 0, stderr);
        }
    }

    [Fact]
    public async Task A_client_process_receives_over_a_named_endpoint_and_the_server_learns_its_pid()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("f.txt", "served over an endpoint");
        using FdListener listener = FdListener.Create(dir.File("ep"));
        var child = Peers.StartTestPeer("endpoint-read", listener.Path);
        FdConnection connection = await Peers.AcceptFromAsync(listener, child);
        using (connection.Channel)
        {
            Assert.Equal(child.Id, connection.Peer.ProcessId);
            using FileStream file = File.OpenRead(path);
            connection.Channel.SendDescriptor(file);
        }
        var (exit, stdout, stderr) = await Peers.FinishAsync(child);
        Assert.True(exit == 0, stderr);
        Assert.Equal("read: served over an endpoint", stdout.Trim());
    }

    [Fact]
    public async Task A_listening_tcp_socket_passed_to_another_process_accepts_there()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        tcp.Listen();
        int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
        var (parent, childEnd) = PairForChild();
        using (parent)
        {
            var child = Peers.StartTestPeer("tcp-accept", childEnd.Descriptor.ToString());
            childEnd.Dispose();
            parent.SendDescriptor(tcp);
            tcp.Dispose(); // only the child's copy listens now
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
            byte[] buffer = new byte[256];
            int total = 0, n;
            while ((n = await client.ReceiveAsync(buffer.AsMemory(total), TestContext.Current.CancellationToken)) > 0)
            {
                total += n;
            }
            var (exit, _, stderr) = await Peers.FinishAsync(child);
            Assert.True(exit == 0, stderr);
            Assert.Equal("hello from pid " + child.Id, Encoding.UTF8.GetString(buffer, 0, total));
        }
    }
}
