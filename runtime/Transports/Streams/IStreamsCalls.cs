using FdPasser.Platform;

namespace FdPasser.Streams;

/// <summary>
/// The calls the STREAMS transport makes, and nothing else: constants and struct layouts come from the target
/// (<c>StreamsTransport&lt;TAbi&gt;</c>), so only the calls are behind this seam. <see cref="NativeStreamsCalls{TAbi}"/>
/// is the real OS; tests put an in-process simulation of illumos here. The C signatures are the generated stubs'
/// (pointers to the target's own <c>strbuf</c>, <c>strrecvfd</c> and <c>pollfd</c>); a failing call returns -1
/// and leaves errno in <c>Marshal.GetLastPInvokeError()</c>, as the stubs do.
/// </summary>
internal unsafe interface IStreamsCalls : IPollCall
{
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

    int fcntl(int fd, int cmd, int arg);
}
