using FdPasser.Interop;

namespace FdPasser.Streams;

/// <summary>The real OS behind <see cref="IStreamsSyscalls"/>: every member forwards to the target's generated stub or constant.</summary>
internal sealed unsafe class NativeStreamsSyscalls<TAbi> : IStreamsSyscalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly NativeStreamsSyscalls<TAbi> Instance = new();

    public string Rid => TAbi.Rid;

    public string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    public int EAGAIN => TAbi.EAGAIN;

    public int EINTR => TAbi.EINTR;

    public int ENOENT => TAbi.ENOENT;

    public int EEXIST => TAbi.EEXIST;

    public int EINVAL => TAbi.EINVAL;

    public int ENXIO => TAbi.ENXIO;

    public int ENOSTR => TAbi.ENOSTR;

    public int EBADMSG => TAbi.EBADMSG;

    public int O_WRONLY => TAbi.O_WRONLY;

    public int O_RDWR => TAbi.O_RDWR;

    public int O_CREAT => TAbi.O_CREAT;

    public int O_EXCL => TAbi.O_EXCL;

    public int O_NONBLOCK => TAbi.O_NONBLOCK;

    public int O_CLOEXEC => TAbi.O_CLOEXEC;

    public int F_GETFL => TAbi.F_GETFL;

    public int F_SETFL => TAbi.F_SETFL;

    public int F_SETFD => TAbi.F_SETFD;

    public int FD_CLOEXEC => TAbi.FD_CLOEXEC;

    public int POLLIN => TAbi.POLLIN;

    public int POLLOUT => TAbi.POLLOUT;

    public int I_PUSH => TAbi.I_PUSH;

    public int I_SENDFD => TAbi.I_SENDFD;

    public int I_RECVFD => TAbi.I_RECVFD;

    public int StrbufSize => TAbi.StrbufSize;

    public void StrbufInit(void* strbuf, int maxLength, int length, void* buffer) => TAbi.StrbufInit(strbuf, maxLength, length, buffer);

    public int StrbufLength(void* strbuf) => TAbi.StrbufLength(strbuf);

    public int StrrecvfdSize => TAbi.StrrecvfdSize;

    public void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid) => TAbi.StrrecvfdRead(strrecvfd, out fd, out uid, out gid);

    public int PollfdSize => TAbi.PollfdSize;

    public void PollfdInit(void* pollfd, int fd, short events) => TAbi.PollfdInit(pollfd, fd, events);

    public short PollfdRevents(void* pollfd) => TAbi.PollfdRevents(pollfd);

    public int pipe(int* fds) => TAbi.pipe(fds);

    public int open(byte* path, int flags, uint mode) => TAbi.open(path, flags, mode);

    public int close(int fd) => TAbi.close(fd);

    public nint write(int fd, void* buffer, nuint count) => TAbi.write(fd, buffer, count);

    public int getmsg(int fd, void* ctl, void* data, int* flags) => TAbi.getmsg(fd, ctl, data, flags);

    public int ioctl(int fd, int request, void* arg) => TAbi.ioctl(fd, request, arg);

    public int isastream(int fd) => TAbi.isastream(fd);

    public int fattach(int fd, byte* path) => TAbi.fattach(fd, path);

    public int fdetach(byte* path) => TAbi.fdetach(path);

    public int unlink(byte* path) => TAbi.unlink(path);

    public int poll(void* fds, nuint count, int timeout) => TAbi.poll(fds, count, timeout);

    public int fcntl(int fd, int cmd, int arg) => TAbi.fcntl(fd, cmd, arg);
}
