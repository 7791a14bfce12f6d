using System;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Streams.Tests.Simulation;

namespace FdPasser.Streams.Tests;

/// <summary>The simulation itself, against the documented STREAMS rules it claims to follow.</summary>
public sealed class StreamsSimulationRulesTests
{
    private readonly StreamsWorld _w = new();

    private SimulatedProcess P => _w.Server;

    [Fact]
    public void Getmsg_keeps_the_boundaries_of_each_write()
    {
        var (a, b) = Sim.Pipe(P);
        Assert.Equal(2, Sim.Write(P, a, 1, 2).Result);
        Assert.Equal(3, Sim.Write(P, a, 3, 4, 5).Result);

        var first = Sim.GetMsg(P, b);
        var second = Sim.GetMsg(P, b);

        Assert.Equal(new byte[] { 1, 2 }, first.Data);
        Assert.Equal(0, first.Call.Result);
        Assert.Equal(new byte[] { 3, 4, 5 }, second.Data);
    }

    [Fact]
    public void A_pipe_is_bidirectional()
    {
        var (a, b) = Sim.Pipe(P);
        Sim.Write(P, b, 9);
        Assert.Equal(new byte[] { 9 }, Sim.GetMsg(P, a).Data);
    }

    [Fact]
    public void Getmsg_with_a_short_buffer_returns_MOREDATA_and_leaves_the_rest_at_the_head()
    {
        var (a, b) = Sim.Pipe(P);
        Sim.Write(P, a, 1, 2, 3);

        var front = Sim.GetMsg(P, b, maxlen: 2);
        var rest = Sim.GetMsg(P, b);

        Assert.Equal(2, front.Call.Result);
        Assert.Equal(new byte[] { 1, 2 }, front.Data);
        Assert.Equal(0, rest.Call.Result);
        Assert.Equal(new byte[] { 3 }, rest.Data);
    }

    [Fact]
    public void I_RECVFD_under_O_NONBLOCK_on_an_empty_queue_is_EAGAIN()
    {
        var (_, b) = Sim.Pipe(P);
        Sim.SetNonBlocking(P, b);
        Assert.Equal(Illumos.EAGAIN, Sim.RecvFd(P, b).Call.Errno);
        Assert.Equal(Illumos.EAGAIN, Sim.GetMsg(P, b).Call.Errno);
    }

    [Fact]
    public async Task Blocking_I_RECVFD_waits_for_a_descriptor()
    {
        var (a, b) = Sim.Pipe(P);
        var (x, _) = Sim.Pipe(P);
        Task<int> receive = Task.Run(() => Sim.RecvFd(P, b).Received.fd);
        await Task.Delay(150, TestContext.Current.CancellationToken);
        Assert.False(receive.IsCompleted);

        Assert.Equal(0, Sim.SendFd(P, a, x).Result);

        int fd = await receive.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(P.IsOpen(fd));
        Assert.NotEqual(x, fd);
    }

    [Fact]
    public void I_RECVFD_with_data_at_the_head_is_EBADMSG_and_leaves_the_data()
    {
        var (a, b) = Sim.Pipe(P);
        Sim.Write(P, a, 7);

        Assert.Equal(Illumos.EBADMSG, Sim.RecvFd(P, b).Call.Errno);
        Assert.Equal(new byte[] { 7 }, Sim.GetMsg(P, b).Data);
    }

    [Fact]
    public void Getmsg_with_a_descriptor_at_the_head_is_EBADMSG_and_I_RECVFD_then_takes_it()
    {
        var (a, b) = Sim.Pipe(P);
        var (x, _) = Sim.Pipe(P);
        Sim.SendFd(P, a, x);

        Assert.Equal(Illumos.EBADMSG, Sim.GetMsg(P, b).Call.Errno);
        Assert.Equal(0, Sim.RecvFd(P, b).Call.Result);
    }

    [Fact]
    public void Strrecvfd_carries_the_senders_uid_and_gid_and_a_zeroed_fill()
    {
        var (a, b) = Sim.Pipe(P);
        var (x, _) = Sim.Pipe(P);
        Sim.SendFd(P, a, x);

        var (call, received) = Sim.RecvFd(P, b);

        Assert.Equal(0, call.Result);
        Assert.Equal(501u, received.uid);
        Assert.Equal(20u, received.gid);
        unsafe
        {
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(0, received.fill[i]);
            }
        }
    }

    [Fact]
    public void Connld_gives_each_open_a_pipe_of_its_own_and_the_server_the_openers_credentials()
    {
        string path = StreamsWorld.NewPath();
        var (server, attached) = Sim.Pipe(P);
        Sim.CreateFile(P, path);
        Assert.Equal(0, Sim.Push(P, attached, "connld").Result);
        Assert.Equal(0, Sim.Fattach(P, attached, path).Result);
        Sim.Close(P, attached);
        SimulatedProcess c = _w.Client;

        int c1 = Sim.Open(c, path, Illumos.O_RDWR).Result;
        int c2 = Sim.Open(c, path, Illumos.O_RDWR).Result;
        var (r1, s1) = Sim.RecvFd(P, server);
        var (r2, s2) = Sim.RecvFd(P, server);

        Assert.Equal(0, r1.Result);
        Assert.Equal(0, r2.Result);
        Assert.Equal((1001u, 100u), (s1.uid, s1.gid));
        Sim.Write(c, c2, 2);
        Sim.Write(c, c1, 1);
        Assert.Equal(new byte[] { 1 }, Sim.GetMsg(P, s1.fd).Data);
        Assert.Equal(new byte[] { 2 }, Sim.GetMsg(P, s2.fd).Data);
        Sim.Write(P, s2.fd, 22);
        Assert.Equal(new byte[] { 22 }, Sim.GetMsg(c, c2).Data);
    }

    [Fact]
    public void Without_connld_every_open_shares_the_attached_end()
    {
        string path = StreamsWorld.NewPath();
        var (server, attached) = Sim.Pipe(P);
        Sim.CreateFile(P, path);
        Sim.Fattach(P, attached, path);

        int opened = Sim.Open(P, path, Illumos.O_RDWR).Result;
        Sim.Write(P, opened, 5);

        Assert.Equal(new byte[] { 5 }, Sim.GetMsg(P, server).Data);
    }

    [Fact]
    public void Fattach_and_fdetach_switch_a_path_between_a_stream_and_its_file()
    {
        string path = StreamsWorld.NewPath();
        var (_, attached) = Sim.Pipe(P);
        Sim.CreateFile(P, path);

        int before = Sim.Open(P, path, Illumos.O_RDWR).Result;
        Assert.Equal(0, P.isastream(before));
        Assert.Equal(0, Sim.Fattach(P, attached, path).Result);
        int during = Sim.Open(P, path, Illumos.O_RDWR).Result;
        Assert.Equal(1, P.isastream(during));
        Assert.Equal(SimulatedStreams.EBUSY, Sim.Fattach(P, attached, path).Errno);
        Assert.Equal(SimulatedStreams.EBUSY, Sim.Unlink(P, path).Errno);
        Assert.Equal(0, Sim.Fdetach(P, path).Result);
        int after = Sim.Open(P, path, Illumos.O_RDWR).Result;

        Assert.Equal(0, P.isastream(after));
        Assert.Equal(Illumos.EINVAL, Sim.Fdetach(P, path).Errno);
        Assert.Equal(0, Sim.Unlink(P, path).Result);
        Assert.Equal(Illumos.ENOENT, Sim.Open(P, path, Illumos.O_RDWR).Errno);
    }

    [Fact]
    public void Stream_calls_on_a_plain_file_fail_ENOSTR_or_ENOTTY_and_fattach_EINVAL()
    {
        string path = StreamsWorld.NewPath();
        int file = Sim.Open(P, path, Illumos.O_RDWR | Illumos.O_CREAT).Result;

        Assert.Equal(Illumos.ENOSTR, Sim.GetMsg(P, file).Call.Errno);
        Assert.Equal(SimulatedStreams.ENOTTY, Sim.RecvFd(P, file).Call.Errno);
        Assert.Equal(Illumos.EINVAL, Sim.Fattach(P, file, path).Errno);
        Call missing = Call.Of(P.isastream(0x7fff0000));
        Assert.Equal((-1, Illumos.EBADF), (missing.Result, missing.Errno));
    }

    [Fact]
    public void After_the_peer_closes_getmsg_reads_end_of_file_I_RECVFD_is_ENXIO_and_write_EPIPE()
    {
        var (a, b) = Sim.Pipe(P);
        Sim.Write(P, a, 1);
        Sim.Close(P, a);

        Assert.Equal(new byte[] { 1 }, Sim.GetMsg(P, b).Data);
        var eof = Sim.GetMsg(P, b);
        Assert.Equal((0, 0), (eof.Call.Result, eof.Data.Length));
        Assert.Equal(Illumos.ENXIO, Sim.RecvFd(P, b).Call.Errno);
        Assert.Equal(SimulatedStreams.EPIPE, Sim.Write(P, b, 1).Errno);
        Assert.Equal(Illumos.ENXIO, Sim.SendFd(P, b, b).Errno);
    }

    [Fact]
    public void Opening_an_endpoint_whose_server_end_closed_is_ENXIO()
    {
        string path = StreamsWorld.NewPath();
        var (server, attached) = Sim.Pipe(P);
        Sim.CreateFile(P, path);
        Sim.Push(P, attached, "connld");
        Sim.Fattach(P, attached, path);
        Sim.Close(P, attached);

        Sim.Close(P, server);

        Assert.True(_w.Kernel.IsAttached(path));
        Assert.Equal(Illumos.ENXIO, Sim.Open(_w.Client, path, Illumos.O_RDWR).Errno);
    }

    [Fact]
    public void Poll_reports_POLLIN_for_data_or_descriptors_POLLHUP_after_close_and_times_out_when_idle()
    {
        var (a, b) = Sim.Pipe(P);
        Assert.Equal(0, Sim.Poll(P, b, Illumos.POLLIN, 0));
        Assert.Equal(Illumos.POLLOUT, Sim.Poll(P, b, Illumos.POLLOUT, 0));

        var (x, _) = Sim.Pipe(P);
        Sim.SendFd(P, a, x);
        Assert.Equal(Illumos.POLLIN, Sim.Poll(P, b, Illumos.POLLIN, 0));
        Sim.Close(P, a);

        Assert.Equal(Illumos.POLLIN | Illumos.POLLHUP, Sim.Poll(P, b, Illumos.POLLIN, 0));
        Assert.Equal(Illumos.POLLNVAL, Sim.Poll(P, 0x7fff0000, Illumos.POLLIN, 0));
    }

    [Fact]
    public void Flow_control_makes_a_nonblocking_write_and_I_SENDFD_fail_EAGAIN()
    {
        var (a, b) = Sim.Pipe(P);
        Sim.SetNonBlocking(P, a);
        byte[] chunk = new byte[1024];
        int writes = 0;
        while (Sim.Write(P, a, chunk) is { Result: > 0 })
        {
            writes++;
        }

        Assert.Equal(5, writes);
        Assert.Equal(Illumos.EAGAIN, Sim.Write(P, a, chunk).Errno);
        Assert.Equal(Illumos.EAGAIN, Sim.SendFd(P, a, b).Errno);
        Assert.Equal(0, Sim.Poll(P, a, Illumos.POLLOUT, 0));
        Sim.GetMsg(P, b);
        Assert.Equal(Illumos.POLLOUT, Sim.Poll(P, a, Illumos.POLLOUT, 0));
    }

    [Fact]
    public void Closing_a_pipe_with_an_unreceived_descriptor_closes_it()
    {
        var (a, b) = Sim.Pipe(P);
        string file = System.IO.Path.GetTempFileName();
        try
        {
            using var handle = System.IO.File.OpenHandle(file);
            Assert.Equal(0, Sim.SendFd(P, a, (int)handle.DangerousGetHandle()).Result);
            int duplicate = Assert.Single(_w.Kernel.Duplicated);

            Sim.Close(P, b);

            Assert.True(_w.Kernel.ClosedDuplicate(duplicate));
            Assert.Equal(1, P.OpenDescriptors);
        }
        finally
        {
            System.IO.File.Delete(file);
        }
    }

    [Fact]
    public void I_PUSH_knows_only_connld()
    {
        var (a, _) = Sim.Pipe(P);
        Assert.Equal(Illumos.EINVAL, Sim.Push(P, a, "ldterm").Errno);
        Assert.Equal(0, Sim.Push(P, a, "connld").Result);
    }
}
