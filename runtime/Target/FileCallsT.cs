using System.Runtime.InteropServices;
using FdPasser.Interop;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

/// <summary><see cref="FileCalls"/> over one target's generated stubs, constants and <c>struct stat</c> layout.</summary>
internal sealed unsafe partial class FileCalls<TAbi> : FileCalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly FileCalls<TAbi> Instance = new();

    public override PlatformConstants Constants => TAbi.Constants;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => Marshal.GetLastPInvokeError();

    public override SafeFileHandle? TryOpen(string path, int flags, uint mode, out int errno)
    {
        byte[] p = CString.NulTerminated(path);
        fixed (byte* pp = p)
        {
            SafeFileHandle? handle;
            while (!Opened(TAbi.open(pp, flags, mode), out handle, out errno))
            {
            }
            return handle;
        }
    }

    public override SafeFileHandle? TryOpenAt(SafeFileHandle directory, string name, int flags, uint mode, out int errno)
    {
        using var scope = new FdScope(directory);
        byte[] p = CString.NulTerminated(name);
        fixed (byte* pp = p)
        {
            SafeFileHandle? handle;
            while (!Opened(TAbi.openat(scope.Fd, pp, flags, mode), out handle, out errno))
            {
            }
            return handle;
        }
    }

    /// <summary>
    /// Takes what an open call returned: the new descriptor, owned; or null with errno. False where the call was
    /// interrupted (EINTR) and should be made again.
    /// </summary>
    private static bool Opened(int fd, out SafeFileHandle? handle, out int errno)
    {
        if (fd >= 0)
        {
            handle = new SafeFileHandle(fd, ownsHandle: true);
            errno = 0;
            return true;
        }
        handle = null;
        errno = LastErrno;
        return errno != TAbi.EINTR;
    }

    public override int TryGetFileType(string path, out int errno)
    {
        byte* st = stackalloc byte[TAbi.StatSize];
        return TryLstat(path, st, out errno) ? FileType(st) : -1;
    }

    public override int TryGetFileType(SafeFileHandle handle, out int errno)
    {
        using var scope = new FdScope(handle);
        byte* st = stackalloc byte[TAbi.StatSize];
        if (TAbi.fstat(scope.Fd, st) != 0)
        {
            errno = LastErrno;
            return -1;
        }
        errno = 0;
        return FileType(st);
    }

    public override bool TryGetOwnerAndMode(string path, out uint owner, out uint mode, out int errno)
    {
        byte* st = stackalloc byte[TAbi.StatSize];
        bool found = TryLstat(path, st, out errno);
        owner = found ? TAbi.StatOwner(st) : 0;
        mode = found ? TAbi.StatMode(st) : 0;
        return found;
    }

    public override (ulong Device, ulong Inode)? TryGetFileIdentity(string path)
    {
        byte* st = stackalloc byte[TAbi.StatSize];
        if (TryLstat(path, st, out int errno))
        {
            return (TAbi.StatDevice(st), TAbi.StatInode(st));
        }
        if (errno == TAbi.ENOENT)
        {
            return null;
        }
        throw Error("lstat", errno, $"inspecting '{path}'");
    }

    private static int FileType(byte* st) => (int)(TAbi.StatMode(st) & (uint)TAbi.S_IFMT);

    private static bool TryLstat(string path, byte* st, out int errno)
    {
        byte[] p = CString.NulTerminated(path);
        fixed (byte* pp = p)
        {
            if (TAbi.lstat(pp, st) != 0)
            {
                errno = LastErrno;
                return false;
            }
        }
        errno = 0;
        return true;
    }

    public override int GetStatusFlags(SafeHandle handle)
    {
        using var scope = new FdScope(handle);
        int flags = TAbi.fcntl(scope.Fd, TAbi.F_GETFL, 0);
        if (flags < 0)
        {
            throw LastError("fcntl", "reading a descriptor's open flags (F_GETFL)");
        }
        return flags;
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
