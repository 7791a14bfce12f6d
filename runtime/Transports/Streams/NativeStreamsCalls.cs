using FdPasser.Interop;

namespace FdPasser.Streams;

/// <summary>The real OS behind <see cref="IStreamsCalls"/>: the target's generated stubs.</summary>
internal sealed unsafe class NativeStreamsCalls<TAbi> : IStreamsCalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly NativeStreamsCalls<TAbi> Instance = new();

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
