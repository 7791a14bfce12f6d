using System.Runtime.InteropServices;

namespace FdPasser.Platform;

internal sealed unsafe partial class FileCalls<TAbi>
{
    public override (ulong Device, ulong Inode) Identify(SafeHandle handle)
    {
        using var scope = new FdScope(handle);
        byte* st = stackalloc byte[TAbi.StatSize];
        if (TAbi.fstat(scope.Fd, st) != 0)
        {
            throw Error("fstat", LastErrno, $"finding which file descriptor {scope.Fd} is");
        }
        return (TAbi.StatDevice(st), TAbi.StatInode(st));
    }
}
