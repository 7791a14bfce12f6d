using System;
using System.IO;
using System.Text;
using FdPasser.Interop;

namespace FdPasser.Streams;

// The seed's spipe, endp_connect and endp_create on STREAMS, and the listener's cleanup.
internal sealed unsafe partial class StreamsTransport<TAbi>
{
    private static readonly byte[] Connld = Encoding.ASCII.GetBytes("connld\0");

    /// <summary>spipe: pipe(), which is a bidirectional STREAMS pipe on SVR4.</summary>
    public override void CreatePair(out StreamsHandle first, out StreamsHandle second)
    {
        int* fds = stackalloc int[2];
        if (_sys.pipe(fds) != 0)
        {
            throw LastError("pipe", "creating a STREAMS pipe");
        }
        int other = fds[1];
        try
        {
            first = Adopt(fds[0], null, "creating a STREAMS pipe");
        }
        catch
        {
            _sys.close(other);
            throw;
        }
        try
        {
            second = Adopt(other, null, "creating a STREAMS pipe");
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>
    /// endp_connect: open() the path (connld gives this open a pipe of its own) and check isastream(). ENOENT: no
    /// endpoint; ENXIO: its server has gone; ENOSTR: a file that is not a STREAMS endpoint (nothing attached).
    /// </summary>
    public override StreamsHandle Connect(string path)
    {
        byte[] name = PathBytes(path);
        int fd;
        fixed (byte* p = name)
        {
            while ((fd = _sys.open(p, TAbi.O_RDWR | TAbi.O_CLOEXEC, 0)) < 0)
            {
                int errno = LastErrno;
                if (errno != TAbi.EINTR)
                {
                    throw Error("open", errno, $"connecting to the STREAMS endpoint '{path}'");
                }
            }
        }
        int stream = _sys.isastream(fd);
        if (stream != 1)
        {
            int errno = stream < 0 ? LastErrno : TAbi.ENOSTR;
            _sys.close(fd);
            throw Error("isastream", errno,
                $"connecting to '{path}': the file there is not a STREAMS endpoint (no pipe is attached to it, or it was detached)");
        }
        return Adopt(fd, null, $"connecting to '{path}'");
    }

    /// <summary>Adopts an inherited descriptor that must be a STREAMS pipe end.</summary>
    public override StreamsHandle AdoptExisting(int fd)
    {
        int stream = _sys.isastream(fd);
        if (stream != 1)
        {
            int errno = stream < 0 ? LastErrno : TAbi.ENOSTR;
            throw new ArgumentException(
                $"Descriptor {fd} is not a STREAMS pipe end: isastream() gave {(stream < 0 ? ErrnoName(errno) ?? errno.ToString() : "0")}.", "descriptor");
        }
        return Adopt(fd, null, $"adopting descriptor {fd}");
    }

    /// <summary>
    /// endp_create: create the file, pipe(), I_PUSH "connld" on one end, fattach() that end to the path and
    /// close it (the attachment holds it); the returned other end receives a new pipe per connecting open().
    /// </summary>
    public override StreamsHandle Listen(string path, uint mode, bool replaceStale)
    {
        byte[] name = PathBytes(path);
        CreateFile(path, name, mode, replaceStale);
        int* fds = stackalloc int[2];
        fixed (byte* p = name)
        {
            if (_sys.pipe(fds) != 0)
            {
                int errno = LastErrno;
                _sys.unlink(p);
                throw Error("pipe", errno, $"creating the STREAMS endpoint '{path}'");
            }
            string? failed = null;
            int failure = 0;
            fixed (byte* module = Connld)
            {
                if (_sys.ioctl(fds[1], TAbi.I_PUSH, module) != 0)
                {
                    (failed, failure) = ("ioctl(I_PUSH connld)", LastErrno);
                }
            }
            if (failed is null && _sys.fattach(fds[1], p) != 0)
            {
                (failed, failure) = ("fattach", LastErrno);
            }
            if (failed is not null)
            {
                _sys.close(fds[0]);
                _sys.close(fds[1]);
                _sys.unlink(p);
                throw Error(failed, failure, $"creating the STREAMS endpoint '{path}'");
            }
            _sys.close(fds[1]);
            try
            {
                return Adopt(fds[0], null, $"creating the STREAMS endpoint '{path}'");
            }
            catch
            {
                _sys.fdetach(p);
                _sys.unlink(p);
                throw;
            }
        }
    }

    /// <summary>Creates the file to attach to, never over an existing one; a stale endpoint (its server gone) may be replaced.</summary>
    private void CreateFile(string path, byte[] name, uint mode, bool replaceStale)
    {
        fixed (byte* p = name)
        {
            for (int attempt = 0; ; attempt++)
            {
                int fd = _sys.open(p, TAbi.O_WRONLY | TAbi.O_CREAT | TAbi.O_EXCL | TAbi.O_CLOEXEC, mode);
                if (fd >= 0)
                {
                    _sys.close(fd);
                    return;
                }
                int errno = LastErrno;
                if (errno == TAbi.EINTR)
                {
                    continue;
                }
                if (errno != TAbi.EEXIST || attempt > 0)
                {
                    throw Error("open", errno, $"creating the file for the STREAMS endpoint '{path}'");
                }
                ClearStale(path, p, replaceStale);
            }
        }
    }

    private void ClearStale(string path, byte* p, bool replaceStale)
    {
        int probe = _sys.open(p, TAbi.O_RDWR | TAbi.O_NONBLOCK | TAbi.O_CLOEXEC, 0);
        if (probe >= 0)
        {
            bool stream = _sys.isastream(probe) == 1;
            _sys.close(probe);
            throw new IOException(stream
                ? $"Cannot create an endpoint at '{path}': a STREAMS server is attached there already."
                : $"Refusing to create an endpoint at '{path}': a file that is not a STREAMS endpoint is there. Remove it or choose another path.");
        }
        int errno = LastErrno;
        if (errno != TAbi.ENXIO)
        {
            throw new IOException(
                $"Cannot create an endpoint at '{path}': something is there and opening it gave {ErrnoName(errno) ?? errno.ToString()}.");
        }
        // ENXIO: a pipe is attached but its server end is closed.
        if (!replaceStale)
        {
            throw new IOException($"Cannot create an endpoint at '{path}': a stale STREAMS endpoint (its server has gone) is there; ReplaceStaleSocket is off.");
        }
        if (_sys.fdetach(p) != 0)
        {
            throw LastError("fdetach", $"removing the stale STREAMS endpoint '{path}'");
        }
        if (_sys.unlink(p) != 0 && LastErrno != TAbi.ENOENT)
        {
            throw LastError("unlink", $"removing the stale STREAMS endpoint '{path}'");
        }
    }

    /// <summary>fdetach() then unlink(): the attachment first, or the name is busy.</summary>
    public override void RemoveEndpointFile(string path)
    {
        byte[] name = PathBytes(path);
        fixed (byte* p = name)
        {
            _sys.fdetach(p);
            _sys.unlink(p);
        }
    }

    private static byte[] PathBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.IndexOf('\0') >= 0)
        {
            throw new ArgumentException("An endpoint path must be non-empty and contain no NUL character.", nameof(path));
        }
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
    }
}
