using FdPasser.Interop;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

// Opening beneath a directory descriptor (openat2 on Linux) and getpwnam_r(): the calls an open server
// confines its clients with.
internal sealed unsafe partial class FileCalls<TAbi>
{
    /// <summary>How often an openat2 that answers EAGAIN (a rename raced the lookup) is tried again before giving up.</summary>
    private const int Openat2Retries = 8;

    /// <summary>The largest buffer getpwnam_r is given before an ERANGE is an error.</summary>
    private const int MaxPasswdBuffer = 1 << 20;

    public override bool HasOpenat2 => TAbi.Has_OpenHow;

    public override SafeFileHandle? TryOpenBeneath(SafeFileHandle directory, string relativePath, int flags, uint mode, out int errno)
    {
        if (!TAbi.Has_OpenHow)
        {
            errno = TAbi.ENOSYS;
            return null;
        }
        byte* how = stackalloc byte[TAbi.OpenHowSize];
        // Unlike openat, openat2 refuses a mode without O_CREAT (EINVAL).
        ulong creationMode = (flags & TAbi.O_CREAT) != 0 ? mode : 0;
        ulong resolve = (ulong)(TAbi.RESOLVE_BENEATH | TAbi.RESOLVE_NO_SYMLINKS | TAbi.RESOLVE_NO_MAGICLINKS);
        TAbi.OpenHowInit(how, (uint)flags, creationMode, resolve);
        using var scope = new FdScope(directory);
        byte[] p = CString.NulTerminated(relativePath);
        fixed (byte* pp = p)
        {
            for (int attempt = 0; ; attempt++)
            {
                nint fd = TAbi.syscall(TAbi.SYS_openat2, scope.Fd, pp, how, (nuint)TAbi.OpenHowSize);
                if (fd >= 0)
                {
                    errno = 0;
                    return new SafeFileHandle((int)fd, ownsHandle: true);
                }
                errno = LastErrno;
                if (errno != TAbi.EINTR && (errno != TAbi.EAGAIN || attempt >= Openat2Retries))
                {
                    return null;
                }
            }
        }
    }

    public override uint? LookUpUser(string name)
    {
        byte* pwd = stackalloc byte[TAbi.PasswdSize];
        byte[] n = CString.NulTerminated(name);
        int size = 1024;
        while (true)
        {
            byte[] buffer = new byte[size];
            void* result = null;
            int status;
            fixed (byte* pn = n)
            fixed (byte* pb = buffer)
            {
                // getpwnam_r returns its error instead of setting errno.
                status = TAbi.getpwnam_r(pn, pwd, pb, (nuint)size, &result);
            }
            if (status == 0)
            {
                return result is null ? null : TAbi.PasswdUid(pwd);
            }
            if (status == TAbi.ERANGE && size < MaxPasswdBuffer)
            {
                size *= 4;
                continue;
            }
            if (status == TAbi.EINTR)
            {
                continue;
            }
            if (status == TAbi.ENOENT)
            {
                return null; // what some C libraries answer for "no such user" instead of 0 and no result
            }
            throw Error("getpwnam_r", status, $"looking up the user '{name}' in the user database");
        }
    }
}
