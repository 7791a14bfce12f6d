using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Streams.Tests.Simulation;

/// <summary>
/// One simulated illumos process behind the <see cref="IStreamsSyscalls"/> seam: the C signatures and the
/// illumos struct layouts (read through the generated <see cref="IllumosX64"/> structs), the illumos constants,
/// errno in <see cref="Marshal.GetLastPInvokeError"/>. Its descriptor numbers start far above any real one, so
/// a simulated number never names a real descriptor; numbers it does not know are real descriptors (a file a
/// test passes), which I_SENDFD duplicates and close() closes.
/// </summary>
internal sealed unsafe partial class SimulatedProcess : IStreamsSyscalls
{
    private readonly SimulatedStreams _k;
    private readonly Dictionary<int, Descriptor> _fds = new();
    private readonly int _base;

    internal SimulatedProcess(SimulatedStreams kernel, uint uid, uint gid, int id)
    {
        _k = kernel;
        Uid = uid;
        Gid = gid;
        _base = 0x40000000 + (id * 0x10000);
    }

    public uint Uid { get; }

    public uint Gid { get; }

    public SimulatedStreams Kernel => _k;

    private sealed class Descriptor
    {
        public Descriptor(OpenFile file, bool closeOnExec)
        {
            File = file;
            CloseOnExec = closeOnExec;
        }

        public OpenFile File { get; }

        public bool CloseOnExec;
    }

    /// <summary>How many simulated descriptors this process has open: a leak shows here.</summary>
    public int OpenDescriptors
    {
        get
        {
            lock (_k.Gate)
            {
                return _fds.Count;
            }
        }
    }

    public bool IsOpen(int fd)
    {
        lock (_k.Gate)
        {
            return _fds.ContainsKey(fd);
        }
    }

    public bool IsSimulated(int fd) => fd >= 0x40000000;

    private static int Fail(int errno)
    {
        Marshal.SetLastPInvokeError(errno);
        return -1;
    }

    private int Allocate(OpenFile file, bool closeOnExec)
    {
        int fd = _base;
        while (_fds.ContainsKey(fd))
        {
            fd++;
        }
        _fds[fd] = new Descriptor(file, closeOnExec);
        return fd;
    }

    private bool Fault(string call, out int result)
    {
        if (_k.TakeFault(call, out int errno))
        {
            result = Fail(errno);
            return true;
        }
        result = 0;
        return false;
    }

    private bool NonBlocking(OpenFile f) => (f.Flags & O_NONBLOCK) != 0;

    private static string Path(byte* p) => Marshal.PtrToStringUTF8((nint)p) ?? "";

    // Constants and layouts: the illumos target's generated values.
    public string Rid => IllumosX64.Abi.Rid;

    public string? ErrnoName(int errno) => errno switch
    {
        SimulatedStreams.EBUSY => "EBUSY",
        SimulatedStreams.ENOTTY => "ENOTTY",
        _ => IllumosX64.Abi.ErrnoName(errno),
    };

    public int EAGAIN => IllumosX64.Abi.EAGAIN;

    public int EINTR => IllumosX64.Abi.EINTR;

    public int ENOENT => IllumosX64.Abi.ENOENT;

    public int EEXIST => IllumosX64.Abi.EEXIST;

    public int EINVAL => IllumosX64.Abi.EINVAL;

    public int ENXIO => IllumosX64.Abi.ENXIO;

    public int ENOSTR => IllumosX64.Abi.ENOSTR;

    public int EBADMSG => IllumosX64.Abi.EBADMSG;

    public int EBADF => IllumosX64.Abi.EBADF;

    public int O_WRONLY => IllumosX64.Abi.O_WRONLY;

    public int O_RDWR => IllumosX64.Abi.O_RDWR;

    public int O_CREAT => IllumosX64.Abi.O_CREAT;

    public int O_EXCL => IllumosX64.Abi.O_EXCL;

    public int O_NONBLOCK => IllumosX64.Abi.O_NONBLOCK;

    public int O_CLOEXEC => IllumosX64.Abi.O_CLOEXEC;

    public int F_GETFL => IllumosX64.Abi.F_GETFL;

    public int F_SETFL => IllumosX64.Abi.F_SETFL;

    public int F_GETFD => IllumosX64.Abi.F_GETFD;

    public int F_SETFD => IllumosX64.Abi.F_SETFD;

    public int FD_CLOEXEC => IllumosX64.Abi.FD_CLOEXEC;

    public int POLLIN => IllumosX64.Abi.POLLIN;

    public int POLLOUT => IllumosX64.Abi.POLLOUT;

    public int POLLHUP => IllumosX64.Abi.POLLHUP;

    public int POLLNVAL => IllumosX64.Abi.POLLNVAL;

    public int I_PUSH => IllumosX64.Abi.I_PUSH;

    public int I_SENDFD => IllumosX64.Abi.I_SENDFD;

    public int I_RECVFD => IllumosX64.Abi.I_RECVFD;

    public int StrbufSize => IllumosX64.Abi.StrbufSize;

    public void StrbufInit(void* strbuf, int maxLength, int length, void* buffer) => IllumosX64.Abi.StrbufInit(strbuf, maxLength, length, buffer);

    public int StrbufLength(void* strbuf) => IllumosX64.Abi.StrbufLength(strbuf);

    public int StrrecvfdSize => IllumosX64.Abi.StrrecvfdSize;

    public void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid) => IllumosX64.Abi.StrrecvfdRead(strrecvfd, out fd, out uid, out gid);

    public int PollfdSize => IllumosX64.Abi.PollfdSize;

    public void PollfdInit(void* pollfd, int fd, short events) => IllumosX64.Abi.PollfdInit(pollfd, fd, events);

    public short PollfdRevents(void* pollfd) => IllumosX64.Abi.PollfdRevents(pollfd);
}
