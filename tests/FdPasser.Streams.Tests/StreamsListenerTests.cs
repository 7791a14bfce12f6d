using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Streams.Tests.Simulation;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Streams.Tests;

/// <summary>FdListener's STREAMS endpoints (pipe + connld + fattach) and connections to them, against the simulation.</summary>
public sealed class StreamsListenerTests : IDisposable
{
    private readonly StreamsWorld _w = new();
    private readonly string _path = StreamsWorld.NewPath();
    private readonly string _file = Path.GetTempFileName();

    public StreamsListenerTests() => File.WriteAllText(_file, "served");

    public void Dispose() => File.Delete(_file);

    private FdListener Listen(FdListenerOptions? options = null) => FdListener.CreateStreams(_w.ServerTransport, _path, options);

    private FdChannel Connect() => FdChannel.ConnectStreams(_w.ClientTransport, _path);

    [Fact]
    public void A_client_connects_and_the_accepted_connection_reports_its_uid_and_gid()
    {
        using FdListener listener = Listen();
        Assert.Equal(FdTransportKind.Streams, listener.TransportKind);
        Assert.True(_w.Kernel.IsAttached(_path));
        Assert.False(listener.Poll(TimeSpan.Zero));

        using FdChannel client = Connect();
        Assert.True(listener.Poll(TimeSpan.FromSeconds(5)));
        FdConnection connection = listener.Accept();
        using FdChannel server = connection.Channel;

        Assert.Equal(new PeerCredentials(-1, 1001, 100), connection.Peer);
        Assert.Equal(connection.Peer, server.GetPeerCredentials());
        Assert.True(_w.Server.IsCloseOnExec(server.Descriptor));
        using (SafeFileHandle served = File.OpenHandle(_file))
        {
            server.SendDescriptor(served);
        }
        using SafeFileHandle received = client.ReceiveDescriptor();
        byte[] buffer = new byte[16];
        Assert.Equal("served", System.Text.Encoding.UTF8.GetString(buffer, 0, RandomAccess.Read(received, buffer, 0)));
    }

    [Fact]
    public void Each_client_gets_a_connection_of_its_own()
    {
        using FdListener listener = Listen();
        using FdChannel first = Connect();
        using FdChannel second = Connect();
        using FdChannel a = listener.Accept().Channel;
        using FdChannel b = listener.Accept().Channel;

        b.SendError(2, "to the second");
        a.SendError(1, "to the first");

        Assert.Equal("to the first", Assert.Throws<FdPeerErrorException>(() => first.ReceiveDescriptor()).PeerMessage);
        Assert.Equal("to the second", Assert.Throws<FdPeerErrorException>(() => second.ReceiveDescriptor()).PeerMessage);
    }

    [Fact]
    public async Task AcceptAsync_waits_for_a_client()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using FdListener listener = Listen();
        ValueTask<FdConnection> accept = listener.AcceptAsync(ct);
        await Task.Delay(100, ct);
        Assert.False(accept.IsCompleted);

        using FdChannel client = Connect();

        FdConnection connection = await accept.AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
        using FdChannel server = connection.Channel;
        Assert.Equal(1001u, connection.Peer.UserId);
    }

    [Fact]
    public void Dispose_detaches_and_removes_the_file_and_leaves_no_descriptor()
    {
        FdListener listener = Listen();
        listener.Dispose();

        Assert.False(_w.Kernel.Exists(_path));
        Assert.Equal(0, _w.Server.OpenDescriptors);
        var e = Assert.Throws<FdPassingException>(Connect);
        Assert.Equal(("open", "ENOENT"), (e.Syscall, e.ErrnoName));
    }

    [Fact]
    public void Connecting_to_a_plain_file_is_ENOSTR_from_isastream_and_leaks_nothing()
    {
        Sim.CreateFile(_w.Server, _path);

        var e = Assert.Throws<FdPassingException>(Connect);

        Assert.Equal(("isastream", "ENOSTR"), (e.Syscall, e.ErrnoName));
        Assert.Equal(0, _w.Client.OpenDescriptors);
    }

    [Fact]
    public void Connecting_to_an_endpoint_whose_server_died_is_ENXIO_and_a_new_listener_replaces_it()
    {
        var (server, attached) = Sim.Pipe(_w.Server);
        Sim.CreateFile(_w.Server, _path);
        Sim.Push(_w.Server, attached, "connld");
        Sim.Fattach(_w.Server, attached, _path);
        Sim.Close(_w.Server, attached);
        Sim.Close(_w.Server, server);

        var e = Assert.Throws<FdPassingException>(Connect);
        Assert.Equal(("open", "ENXIO"), (e.Syscall, e.ErrnoName));
        Assert.Throws<IOException>(() => Listen(new FdListenerOptions { ReplaceStaleSocket = false }));

        using FdListener listener = Listen();
        using FdChannel client = Connect();
        using FdChannel accepted = listener.Accept().Channel;
    }

    [Fact]
    public void A_live_endpoint_or_a_plain_file_is_never_replaced()
    {
        using (FdListener live = Listen())
        {
            Assert.Contains("already", Assert.Throws<IOException>(() => Listen()).Message);
            using FdChannel probe = live.Accept().Channel;
            Assert.False(probe.TryReceiveDescriptor(out _));
        }
        Sim.CreateFile(_w.Server, _path);
        Assert.Contains("not a STREAMS endpoint", Assert.Throws<IOException>(() => Listen()).Message);
        Assert.True(_w.Kernel.Exists(_path));
        Assert.Equal(0, _w.Server.OpenDescriptors);
    }

    [Theory]
    [InlineData("pipe", "pipe")]
    [InlineData("I_PUSH", "ioctl(I_PUSH connld)")]
    [InlineData("fattach", "fattach")]
    public void A_failing_step_of_endpoint_creation_names_the_call_and_leaves_nothing_behind(string fault, string syscall)
    {
        _w.Kernel.FailNext(fault, Illumos.EINVAL);

        var e = Assert.Throws<FdPassingException>(() => Listen());

        Assert.Equal((syscall, "EINVAL"), (e.Syscall, e.ErrnoName));
        Assert.Equal(0, _w.Server.OpenDescriptors);
        Assert.False(_w.Kernel.Exists(_path));
    }

    [Fact]
    public void A_failing_accept_names_ioctl_I_RECVFD()
    {
        using FdListener listener = Listen();
        using FdChannel client = Connect();
        _w.Kernel.FailNext("I_RECVFD", Illumos.EINVAL);

        var e = Assert.Throws<FdPassingException>(() => listener.Accept());

        Assert.Equal(("ioctl(I_RECVFD)", "EINVAL"), (e.Syscall, e.ErrnoName));
    }

    [Fact]
    public void The_listener_has_no_socket_handle()
    {
        using FdListener listener = Listen();
        Assert.Throws<NotSupportedException>(() => listener.SafeHandle);
        Assert.False(listener.Handle.IsInvalid);
    }
}
