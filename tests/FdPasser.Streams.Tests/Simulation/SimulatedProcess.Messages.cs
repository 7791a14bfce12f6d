using System;
using FdPasser.Interop;
using static FdPasser.Interop.IllumosX64.Abi;

namespace FdPasser.Streams.Tests.Simulation;

// write, getmsg, ioctl (I_PUSH, I_SENDFD, I_RECVFD), poll.
internal sealed unsafe partial class SimulatedProcess
{
    /// <summary>
    /// write(): one M_DATA message on the peer's read queue (0 bytes: nothing). EPIPE where the peer has closed;
    /// above the high-water mark, EAGAIN under O_NONBLOCK, else it waits.
    /// </summary>
    public nint write(int fd, void* buffer, nuint count)
    {
        lock (_k.Gate)
        {
            if (Fault("write", out int r))
            {
                return r;
            }
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (d.File.Target is not StreamEnd end)
            {
                return (nint)count;
            }
            long started = Environment.TickCount64;
            while (true)
            {
                if (end.HungUp)
                {
                    return Fail(SimulatedStreams.EPIPE);
                }
                if (end.Peer.QueuedBytes < _k.HighWater)
                {
                    break;
                }
                if (NonBlocking(d.File))
                {
                    return Fail(EAGAIN);
                }
                _k.Wait(long.MaxValue, started);
            }
            if (count == 0)
            {
                return 0;
            }
            byte[] bytes = new ReadOnlySpan<byte>(buffer, checked((int)count)).ToArray();
            end.Peer.Queue.AddLast(new DataMessage(bytes));
            end.Peer.QueuedBytes += bytes.Length;
            _k.Changed();
            return (nint)count;
        }
    }

    /// <summary>
    /// getmsg() of the data part (this simulation has no control parts or priority bands: *flags must be 0).
    /// One message at most: a short buffer takes its front and returns MOREDATA (2), the rest staying at the head.
    /// M_PASSFP at the head: EBADMSG. Empty: at hang-up 0 with len 0 (end of file); EAGAIN under O_NONBLOCK; else waits.
    /// </summary>
    public int getmsg(int fd, void* ctl, void* data, int* flags)
    {
        lock (_k.Gate)
        {
            if (Fault("getmsg", out int r))
            {
                return r;
            }
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (d.File.Target is not StreamEnd end)
            {
                return Fail(ENOSTR);
            }
            if (flags == null || *flags != 0)
            {
                return Fail(EINVAL);
            }
            var dataBuf = (IllumosX64.strbuf*)data;
            var ctlBuf = (IllumosX64.strbuf*)ctl;
            long started = Environment.TickCount64;
            while (end.Queue.Count == 0)
            {
                if (end.HungUp)
                {
                    if (ctlBuf != null)
                    {
                        ctlBuf->len = 0;
                    }
                    if (dataBuf != null)
                    {
                        dataBuf->len = 0;
                    }
                    return 0;
                }
                if (NonBlocking(d.File))
                {
                    return Fail(EAGAIN);
                }
                _k.Wait(long.MaxValue, started);
            }
            if (end.Queue.First!.Value is not DataMessage message)
            {
                return Fail(EBADMSG);
            }
            if (ctlBuf != null)
            {
                ctlBuf->len = -1;
            }
            *flags = 0;
            if (dataBuf == null || dataBuf->maxlen < 0)
            {
                return message.Remaining > 0 ? 2 : 0;
            }
            int n = Math.Min(dataBuf->maxlen, message.Remaining);
            message.Bytes.AsSpan(message.Offset, n).CopyTo(new Span<byte>(dataBuf->buf, n));
            dataBuf->len = n;
            message.Offset += n;
            end.QueuedBytes -= n;
            _k.Changed();
            if (message.Remaining > 0)
            {
                return 2;
            }
            end.Queue.RemoveFirst();
            return 0;
        }
    }

    /// <summary>ioctl(): I_PUSH (only "connld" exists), I_SENDFD, I_RECVFD; ENOTTY on a file that is not a stream.</summary>
    public int ioctl(int fd, int request, void* arg)
    {
        lock (_k.Gate)
        {
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (d.File.Target is not StreamEnd end)
            {
                return Fail(SimulatedStreams.ENOTTY);
            }
            if (request == I_PUSH)
            {
                return Push(end, Path((byte*)arg));
            }
            if (request == I_SENDFD)
            {
                return SendFd(end, (int)(nint)arg);
            }
            if (request == I_RECVFD)
            {
                return RecvFd(end, d.File, (IllumosX64.strrecvfd*)arg);
            }
            return Fail(EINVAL);
        }
    }

    private int Push(StreamEnd end, string module)
    {
        if (Fault("I_PUSH", out int r))
        {
            return r;
        }
        if (module != "connld")
        {
            return Fail(EINVAL);
        }
        end.Modules.Add(module);
        return 0;
    }

    /// <summary>
    /// I_SENDFD: an M_PASSFP message with the descriptor's open file and the sender's uid/gid on the peer's read
    /// queue. EBADF for a bad descriptor, ENXIO where the peer has closed, EAGAIN where its queue is full.
    /// </summary>
    private int SendFd(StreamEnd end, int passed)
    {
        if (Fault("I_SENDFD", out int r))
        {
            return r;
        }
        if (end.HungUp)
        {
            return Fail(ENXIO);
        }
        if (end.Peer.QueuedBytes >= _k.HighWater)
        {
            return Fail(EAGAIN);
        }
        var message = new PassMessage { Uid = Uid, Gid = Gid };
        if (_fds.TryGetValue(passed, out Descriptor? d))
        {
            d.File.Refs++;
            message.File = d.File;
        }
        else
        {
            if (IsSimulated(passed) || (message.RealFd = HostDescriptors.Duplicate(passed)) < 0)
            {
                return Fail(EBADF);
            }
            _k.Duplicated.Add(message.RealFd);
        }
        end.Peer.Queue.AddLast(message);
        _k.Changed();
        return 0;
    }

    /// <summary>
    /// I_RECVFD: takes the M_PASSFP at the head into a new descriptor and fills strrecvfd (fd, uid, gid, fill
    /// zeroed). EBADMSG (message left in place) where data is at the head; empty: ENXIO at hang-up, EAGAIN under
    /// O_NONBLOCK, else waits.
    /// </summary>
    private int RecvFd(StreamEnd end, OpenFile self, IllumosX64.strrecvfd* result)
    {
        if (Fault("I_RECVFD", out int r))
        {
            return r;
        }
        long started = Environment.TickCount64;
        while (end.Queue.Count == 0)
        {
            if (end.HungUp)
            {
                return Fail(ENXIO);
            }
            if (NonBlocking(self))
            {
                return Fail(EAGAIN);
            }
            _k.Wait(long.MaxValue, started);
        }
        if (end.Queue.First!.Value is not PassMessage message)
        {
            return Fail(EBADMSG);
        }
        end.Queue.RemoveFirst();
        int fd = message.File is { } file ? Allocate(file, false) : message.RealFd;
        result->fd = fd;
        result->uid = message.Uid;
        result->gid = message.Gid;
        for (int i = 0; i < 8; i++)
        {
            result->fill[i] = 0;
        }
        _k.Changed();
        return 0;
    }

    /// <summary>
    /// poll(): POLLIN while any message (data or descriptor) is at the head, POLLHUP once the peer has closed,
    /// POLLOUT while the peer's queue is below the high-water mark and the peer is open; POLLNVAL for a number
    /// this process does not have. Waits up to the timeout (negative: for ever) for one to be ready.
    /// </summary>
    public int poll(void* fds, nuint count, int timeout)
    {
        var entries = new Span<IllumosX64.pollfd>(fds, checked((int)count));
        lock (_k.Gate)
        {
            long started = Environment.TickCount64;
            long deadline = timeout < 0 ? long.MaxValue : started + timeout;
            while (true)
            {
                int ready = 0;
                for (int i = 0; i < entries.Length; i++)
                {
                    entries[i].revents = Revents(entries[i].fd, entries[i].events);
                    if (entries[i].revents != 0)
                    {
                        ready++;
                    }
                }
                if (ready > 0 || !_k.Wait(deadline, started))
                {
                    return ready;
                }
            }
        }
    }

    private short Revents(int fd, short events)
    {
        if (!_fds.TryGetValue(fd, out Descriptor? d))
        {
            return (short)POLLNVAL;
        }
        if (d.File.Target is not StreamEnd end)
        {
            return (short)(events & (POLLIN | POLLOUT));
        }
        int revents = 0;
        if (end.Queue.Count > 0)
        {
            revents |= events & POLLIN;
        }
        if (end.HungUp)
        {
            revents |= POLLHUP;
        }
        else if (end.Peer.QueuedBytes < _k.HighWater)
        {
            revents |= events & POLLOUT;
        }
        return (short)revents;
    }
}
