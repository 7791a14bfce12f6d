namespace FdPasser.Streams;

/// <summary>
/// The one seam between the STREAMS transport and the OS: the STREAMS subset of the generated
/// <c>IPlatformAbi</c> as an instance interface, with the same C signatures (pointers to the target's own
/// <c>strbuf</c>, <c>strrecvfd</c> and <c>pollfd</c> layouts). <see cref="NativeStreamsSyscalls{TAbi}"/> forwards
/// every member to the generated stubs; tests put an in-process simulation of illumos behind it. A failing call
/// returns -1 and leaves errno in <c>Marshal.GetLastPInvokeError()</c>, as the generated stubs do.
/// </summary>
internal unsafe interface IStreamsSyscalls
{
    string Rid { get; }

    string? ErrnoName(int errno);

    int EAGAIN { get; }

    int EINTR { get; }

    int ENOENT { get; }

    int EEXIST { get; }

    int EINVAL { get; }

    int ENXIO { get; }

    int ENOSTR { get; }

    int EBADMSG { get; }

    int O_WRONLY { get; }

    int O_RDWR { get; }

    int O_CREAT { get; }

    int O_EXCL { get; }

    int O_NONBLOCK { get; }

    int O_CLOEXEC { get; }

    int F_GETFL { get; }

    int F_SETFL { get; }

    int F_SETFD { get; }

    int FD_CLOEXEC { get; }

    int POLLIN { get; }

    int POLLOUT { get; }

    int I_PUSH { get; }

    int I_SENDFD { get; }

    int I_RECVFD { get; }

    int StrbufSize { get; }

    void StrbufInit(void* strbuf, int maxLength, int length, void* buffer);

    int StrbufLength(void* strbuf);

    int StrrecvfdSize { get; }

    void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid);

    int PollfdSize { get; }

    void PollfdInit(void* pollfd, int fd, short events);

    short PollfdRevents(void* pollfd);

    int pipe(int* fds);

    int open(byte* path, int flags, uint mode);

    int close(int fd);

    nint write(int fd, void* buffer, nuint count);

    int getmsg(int fd, void* ctl, void* data, int* flags);

    int ioctl(int fd, int request, void* arg);

    int isastream(int fd);

    int fattach(int fd, byte* path);

    int fdetach(byte* path);

    int unlink(byte* path);

    int poll(void* fds, nuint count, int timeout);

    int fcntl(int fd, int cmd, int arg);
}
