using static FdPasser.Interop.IllumosX64.Abi;

namespace FdPasser.Streams.Tests.Simulation;

// pipe, open (with connld), close, fattach, fdetach, unlink, isastream, fcntl.
internal sealed unsafe partial class SimulatedProcess
{
    /// <summary>pipe(): a bidirectional STREAMS pipe; both ends read and write.</summary>
    public int pipe(int* fds)
    {
        lock (_k.Gate)
        {
            if (Fault("pipe", out int r))
            {
                return r;
            }
            (StreamEnd a, StreamEnd b) = SimulatedStreams.NewPipe();
            a.Holds = b.Holds = 1;
            fds[0] = Allocate(new OpenFile(a, O_RDWR), false);
            fds[1] = Allocate(new OpenFile(b, O_RDWR), false);
            return 0;
        }
    }

    /// <summary>
    /// open(): a plain file, or a pipe end attached to the path. With connld pushed on that end, each open
    /// gets a new pipe: one end is returned, the other travels as M_PASSFP (with the opener's uid/gid) to the
    /// attached end's peer, the server's end. ENXIO where the attached end's peer has closed.
    /// </summary>
    public int open(byte* path, int flags, uint mode)
    {
        string name = Path(path);
        lock (_k.Gate)
        {
            if (Fault("open", out int r))
            {
                return r;
            }
            bool closeOnExec = (flags & O_CLOEXEC) != 0;
            int status = flags & (O_NONBLOCK | 3);
            if (!_k.Files.TryGetValue(name, out SimFile? file))
            {
                if ((flags & O_CREAT) == 0)
                {
                    return Fail(ENOENT);
                }
                file = new SimFile();
                _k.Files[name] = file;
                return Allocate(new OpenFile(file, status), closeOnExec);
            }
            if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
            {
                return Fail(EEXIST);
            }
            if (file.Attached is not { } end)
            {
                return Allocate(new OpenFile(file, status), closeOnExec);
            }
            if (end.HungUp)
            {
                return Fail(ENXIO);
            }
            if (!end.Modules.Contains("connld"))
            {
                end.Holds++;
                return Allocate(new OpenFile(end, status), closeOnExec);
            }
            (StreamEnd client, StreamEnd server) = SimulatedStreams.NewPipe();
            client.Holds = server.Holds = 1;
            var passed = new PassMessage { File = new OpenFile(server, O_RDWR), Uid = Uid, Gid = Gid };
            end.Peer.Queue.AddLast(passed);
            _k.Changed();
            return Allocate(new OpenFile(client, status), closeOnExec);
        }
    }

    /// <summary>close(): a simulated descriptor, or (for a number the simulation does not know) a real one.</summary>
    public int close(int fd)
    {
        if (!IsSimulated(fd))
        {
            return _k.CloseReal(fd);
        }
        lock (_k.Gate)
        {
            if (!_fds.Remove(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            _k.Release(d.File);
            _k.Changed();
            return 0;
        }
    }

    /// <summary>isastream(): 1 for a stream, 0 (errno ENOTTY) for another file, -1 (EBADF) for no descriptor.</summary>
    public int isastream(int fd)
    {
        lock (_k.Gate)
        {
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (d.File.Target is StreamEnd)
            {
                return 1;
            }
            Fail(SimulatedStreams.ENOTTY);
            return 0;
        }
    }

    /// <summary>fattach(): EINVAL for a non-stream, ENOENT for a missing path, EBUSY where something is attached already.</summary>
    public int fattach(int fd, byte* path)
    {
        string name = Path(path);
        lock (_k.Gate)
        {
            if (Fault("fattach", out int r))
            {
                return r;
            }
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (d.File.Target is not StreamEnd end)
            {
                return Fail(EINVAL);
            }
            if (!_k.Files.TryGetValue(name, out SimFile? file))
            {
                return Fail(ENOENT);
            }
            if (file.Attached is not null)
            {
                return Fail(SimulatedStreams.EBUSY);
            }
            file.Attached = end;
            end.Holds++;
            return 0;
        }
    }

    /// <summary>fdetach(): the path shows its file again; the attachment's hold on the end goes (the last hold closes it).</summary>
    public int fdetach(byte* path)
    {
        string name = Path(path);
        lock (_k.Gate)
        {
            if (!_k.Files.TryGetValue(name, out SimFile? file))
            {
                return Fail(ENOENT);
            }
            if (file.Attached is not { } end)
            {
                return Fail(EINVAL);
            }
            file.Attached = null;
            _k.Release(end);
            return 0;
        }
    }

    /// <summary>unlink(): EBUSY while a pipe is attached to the name.</summary>
    public int unlink(byte* path)
    {
        string name = Path(path);
        lock (_k.Gate)
        {
            if (!_k.Files.TryGetValue(name, out SimFile? file))
            {
                return Fail(ENOENT);
            }
            if (file.Attached is not null)
            {
                return Fail(SimulatedStreams.EBUSY);
            }
            _k.Files.Remove(name);
            return 0;
        }
    }

    /// <summary>
    /// fcntl(): F_GETFL/F_SETFL (O_NONBLOCK) on the open file, F_GETFD/F_SETFD (FD_CLOEXEC) on the descriptor;
    /// F_GETFD/F_SETFD on a real descriptor go to the host.
    /// </summary>
    public int fcntl(int fd, int cmd, int arg)
    {
        lock (_k.Gate)
        {
            if (Fault("fcntl", out int r))
            {
                return r;
            }
            if (!IsSimulated(fd) && (cmd == F_GETFD || cmd == F_SETFD))
            {
                // A real descriptor that arrived with I_RECVFD: its close-on-exec flag is the host's.
                int result = HostDescriptors.SetOrGetCloseOnExec(fd, cmd == F_SETFD ? (arg & FD_CLOEXEC) != 0 : null);
                return result < 0 ? Fail(EBADF) : cmd == F_SETFD ? 0 : result == 1 ? FD_CLOEXEC : 0;
            }
            if (!_fds.TryGetValue(fd, out Descriptor? d))
            {
                return Fail(EBADF);
            }
            if (cmd == F_GETFL)
            {
                return d.File.Flags;
            }
            if (cmd == F_SETFL)
            {
                d.File.Flags = (d.File.Flags & 3) | (arg & O_NONBLOCK);
                return 0;
            }
            if (cmd == F_GETFD)
            {
                return d.CloseOnExec ? FD_CLOEXEC : 0;
            }
            if (cmd == F_SETFD)
            {
                d.CloseOnExec = (arg & FD_CLOEXEC) != 0;
                return 0;
            }
            return Fail(EINVAL);
        }
    }

    /// <summary>True where the descriptor is close-on-exec (for tests).</summary>
    public bool IsCloseOnExec(int fd)
    {
        lock (_k.Gate)
        {
            return _fds[fd].CloseOnExec;
        }
    }

    /// <summary>True where the descriptor's open file is O_NONBLOCK (for tests).</summary>
    public bool IsNonBlocking(int fd)
    {
        lock (_k.Gate)
        {
            return NonBlocking(_fds[fd].File);
        }
    }

    /// <summary>How many messages wait in the read queue of the descriptor's pipe end (for tests).</summary>
    public int QueuedMessages(int fd)
    {
        lock (_k.Gate)
        {
            return _fds[fd].File.Target is StreamEnd e ? e.Queue.Count : 0;
        }
    }
}
