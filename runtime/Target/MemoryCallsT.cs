using System;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

internal sealed unsafe partial class MemoryCalls<TAbi>
{
    public override bool HasMemfd => TAbi.Has_memfd_create && TAbi.Has_MFD_CLOEXEC;

    public override SafeFileHandle CreateMemfd(string name, bool allowSealing)
    {
        if (!HasMemfd)
        {
            throw Missing("memfd_create()");
        }
        if (allowSealing && !TAbi.Has_MFD_ALLOW_SEALING)
        {
            throw Missing("MFD_ALLOW_SEALING");
        }
        uint flags = (uint)(TAbi.MFD_CLOEXEC | (allowSealing ? TAbi.MFD_ALLOW_SEALING : 0));
        byte[] bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            int fd = TAbi.memfd_create(p, flags);
            if (fd < 0)
            {
                throw Error("memfd_create", LastErrno, $"creating the memory file '{name}'");
            }
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    public override SafeFileHandle CreateUnlinkedSharedMemory(string name)
    {
        if (!TAbi.Has_shm_open || !TAbi.Has_shm_unlink)
        {
            throw Missing("shm_open()");
        }
        byte[] bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            // POSIX gives shm_open's descriptor FD_CLOEXEC; O_EXCL makes sure nobody else's object is adopted.
            int fd = TAbi.shm_open(p, TAbi.O_RDWR | TAbi.O_CREAT | TAbi.O_EXCL, 0x180 /* 0600 */);
            if (fd < 0)
            {
                throw Error("shm_open", LastErrno, $"creating the shared memory object '{name}'");
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (TAbi.shm_unlink(p) != 0)
            {
                int errno = LastErrno;
                handle.Dispose();
                throw Error("shm_unlink", errno, $"removing the name of the shared memory object '{name}'");
            }
            if (FileCalls<TAbi>.Instance.TrySetCloseOnExec(fd) is int e and not 0)
            {
                handle.Dispose();
                throw Error("fcntl", e, "setting FD_CLOEXEC on a shared memory object");
            }
            return handle;
        }
    }

    public override void Truncate(SafeFileHandle handle, long length)
    {
        if (!TAbi.Has_ftruncate)
        {
            throw Missing("ftruncate()");
        }
        using var scope = new FdScope(handle);
        while (TAbi.ftruncate(scope.Fd, length) != 0)
        {
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                throw Error("ftruncate", errno, $"setting the size of descriptor {scope.Fd} to {length} bytes");
            }
        }
    }

    public override int SealBits(MemorySeals seals)
    {
        RequireSeals();
        return ((seals & MemorySeals.Seal) != 0 ? TAbi.F_SEAL_SEAL : 0) |
            ((seals & MemorySeals.Shrink) != 0 ? TAbi.F_SEAL_SHRINK : 0) |
            ((seals & MemorySeals.Grow) != 0 ? TAbi.F_SEAL_GROW : 0) |
            ((seals & MemorySeals.Write) != 0 ? TAbi.F_SEAL_WRITE : 0);
    }

    public override MemorySeals SealsFromBits(int bits) =>
        ((bits & TAbi.F_SEAL_SEAL) != 0 ? MemorySeals.Seal : 0) |
        ((bits & TAbi.F_SEAL_SHRINK) != 0 ? MemorySeals.Shrink : 0) |
        ((bits & TAbi.F_SEAL_GROW) != 0 ? MemorySeals.Grow : 0) |
        ((bits & TAbi.F_SEAL_WRITE) != 0 ? MemorySeals.Write : 0);

    public override void AddSeals(SafeFileHandle handle, int bits)
    {
        RequireSeals();
        using var scope = new FdScope(handle);
        if (TAbi.fcntl(scope.Fd, TAbi.F_ADD_SEALS, bits) != 0)
        {
            throw Error("fcntl", LastErrno, $"adding seals 0x{bits:x} to descriptor {scope.Fd} (F_ADD_SEALS)");
        }
    }

    public override int GetSeals(SafeFileHandle handle)
    {
        RequireSeals();
        using var scope = new FdScope(handle);
        int bits = TAbi.fcntl(scope.Fd, TAbi.F_GET_SEALS, 0);
        if (bits < 0)
        {
            throw Error("fcntl", LastErrno, $"reading the seals of descriptor {scope.Fd} (F_GET_SEALS)");
        }
        return bits;
    }

    private static void RequireSeals()
    {
        if (!TAbi.Has_F_ADD_SEALS || !TAbi.Has_F_GET_SEALS)
        {
            throw Missing("File sealing (F_ADD_SEALS)");
        }
    }
}
