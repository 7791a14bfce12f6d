using System.Runtime.InteropServices;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Bsd;

// Plain file operations for processes that open what they pass (an open server): open() with the target's raw
// flags, lstat() file types, F_SETFL.
internal sealed unsafe partial class BsdTransport<TAbi>
{
    private static readonly FileAbi s_files = new()
    {
        O_ACCMODE = TAbi.O_ACCMODE,
        O_RDONLY = TAbi.O_RDONLY,
        O_WRONLY = TAbi.O_WRONLY,
        O_RDWR = TAbi.O_RDWR,
        O_CREAT = TAbi.O_CREAT,
        O_EXCL = TAbi.Has_O_EXCL ? TAbi.O_EXCL : 0,
        O_TRUNC = TAbi.O_TRUNC,
        O_APPEND = TAbi.O_APPEND,
        O_NONBLOCK = TAbi.O_NONBLOCK,
        O_DIRECTORY = TAbi.Has_O_DIRECTORY ? TAbi.O_DIRECTORY : 0,
        O_NOFOLLOW = TAbi.O_NOFOLLOW,
        O_CLOEXEC = TAbi.O_CLOEXEC,
        S_IFMT = TAbi.S_IFMT,
        S_IFSOCK = TAbi.S_IFSOCK,
        S_IFDIR = TAbi.S_IFDIR,
        S_IFREG = TAbi.S_IFREG,
        S_IFLNK = TAbi.S_IFLNK,
        EPERM = TAbi.EPERM,
        ENOENT = TAbi.ENOENT,
        EACCES = TAbi.EACCES,
        EEXIST = TAbi.EEXIST,
        ENOTDIR = TAbi.ENOTDIR,
        EISDIR = TAbi.EISDIR,
        EINVAL = TAbi.EINVAL,
        ENAMETOOLONG = TAbi.ENAMETOOLONG,
        ELOOP = TAbi.ELOOP,
        O_PATH = TAbi.Has_O_PATH ? TAbi.O_PATH : 0,
        O_NOCTTY = TAbi.Has_O_NOCTTY ? TAbi.O_NOCTTY : 0,
        ENXIO = TAbi.ENXIO,
        ENOSYS = TAbi.ENOSYS,
        EXDEV = TAbi.EXDEV,
    };

    public override FileAbi Files => s_files;

    public override SafeFileHandle? TryOpen(string path, int flags, uint mode, out int errno)
    {
        byte[] p = NulTerminated(path);
        fixed (byte* pp = p)
        {
            SafeFileHandle? handle;
            while (!Opened(TAbi.open(pp, flags, mode), out handle, out errno))
            {
            }
            return handle;
        }
    }

    public override int TryGetFileType(string path, out int errno)
    {
        byte* st = stackalloc byte[TAbi.StatSize];
        byte[] p = NulTerminated(path);
        fixed (byte* pp = p)
        {
            if (TAbi.lstat(pp, st) != 0)
            {
                errno = LastErrno;
                return -1;
            }
        }
        errno = 0;
        return (int)(TAbi.StatMode(st) & (uint)TAbi.S_IFMT);
    }

    public override void SetStatusFlags(SafeHandle handle, int flags)
    {
        using var scope = new FdScope(handle);
        if (TAbi.fcntl(scope.Fd, TAbi.F_SETFL, flags) != 0)
        {
            throw LastError("fcntl", "setting a descriptor's open flags (F_SETFL)");
        }
    }
}
