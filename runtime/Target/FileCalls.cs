using System.Net.Sockets;
using System.Runtime.InteropServices;
using FdPasser.Systemd;
using FdPasser.Interop;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

/// <summary>
/// The file and descriptor calls of this process's target: open()/openat()/openat2() with the target's raw flags,
/// lstat()/fstat() file types and identities, fcntl() status and descriptor flags, what a descriptor is, and
/// getpwnam_r(). Used by <c>FdHandles</c>, the socket path's endpoint files, the service-manager protocols and the
/// open server; implemented once by <see cref="FileCalls{TAbi}"/>.
/// Methods named Try… return null or -1 with errno; the rest throw <see cref="FdPassingException"/>.
/// </summary>
internal abstract class FileCalls : TargetCalls
{
    /// <summary>fcntl(F_SETFD, FD_CLOEXEC) on a descriptor number; returns 0 or the errno.</summary>
    public abstract int TrySetCloseOnExec(int fd);

    /// <summary>fcntl(F_GETFD) on a descriptor number: its descriptor flags, or -1 with the errno (EBADF: not open).</summary>
    public abstract int TryGetDescriptorFlags(int fd, out int errno);

    /// <summary>Whether descriptor flags from <see cref="TryGetDescriptorFlags"/> hold FD_CLOEXEC.</summary>
    public abstract bool IsCloseOnExec(int flags);

    /// <summary>What a descriptor is: fstat for its file type, getsockopt(SO_TYPE, SO_ACCEPTCONN) for a socket.</summary>
    public abstract DescriptorKind Describe(SafeHandle handle, out SocketType socketType, out bool listening);

    /// <summary>fstat's st_dev and st_ino: which file a descriptor refers to (equal for two descriptors of one file).</summary>
    public abstract (ulong Device, ulong Inode) Identify(SafeHandle handle);

    /// <summary>open() with the target's raw flags (EINTR retried); null with errno where it failed.</summary>
    public abstract SafeFileHandle? TryOpen(string path, int flags, uint mode, out int errno);

    /// <summary>openat(<paramref name="directory"/>, <paramref name="name"/>) with the target's raw flags (EINTR retried); null with errno where it failed.</summary>
    public abstract SafeFileHandle? TryOpenAt(SafeFileHandle directory, string name, int flags, uint mode, out int errno);

    /// <summary>Whether this target can call openat2 at all (Linux); the kernel may still answer ENOSYS (before 5.6).</summary>
    public abstract bool HasOpenat2 { get; }

    /// <summary>
    /// openat2(<paramref name="directory"/>, <paramref name="relativePath"/>) with RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS
    /// and RESOLVE_NO_MAGICLINKS: no component may be a link or lead above the directory. EINTR and EAGAIN are retried.
    /// Null with errno where it failed; ENOSYS where the target or kernel has no openat2.
    /// </summary>
    public abstract SafeFileHandle? TryOpenBeneath(SafeFileHandle directory, string relativePath, int flags, uint mode, out int errno);

    /// <summary>lstat() a path: its file-type bits (st_mode &amp; S_IFMT), or -1 with errno.</summary>
    public abstract int TryGetFileType(string path, out int errno);

    /// <summary>fstat() an open descriptor: its file-type bits (st_mode &amp; S_IFMT), or -1 with errno.</summary>
    public abstract int TryGetFileType(SafeFileHandle handle, out int errno);

    /// <summary>lstat() a path (a symlink is not followed): its owner and whole st_mode; false with errno where it failed.</summary>
    public abstract bool TryGetOwnerAndMode(string path, out uint owner, out uint mode, out int errno);

    /// <summary>lstat() a path: its device and inode numbers, or null where nothing is there.</summary>
    public abstract (ulong Device, ulong Inode)? TryGetFileIdentity(string path);

    /// <summary>fcntl(F_GETFL): a descriptor's status flags.</summary>
    public abstract int GetStatusFlags(SafeHandle handle);

    /// <summary>fcntl(F_SETFL): replaces a descriptor's status flags.</summary>
    public abstract void SetStatusFlags(SafeHandle handle, int flags);

    /// <summary>getpwnam_r(): the user id of <paramref name="name"/>, or null where there is no such user.</summary>
    /// <exception cref="FdPassingException">The user database could not be read.</exception>
    public abstract uint? LookUpUser(string name);
}
