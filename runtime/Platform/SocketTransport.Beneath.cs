using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

// Opening files beneath a directory descriptor without following links, typing what was opened, and resolving
// user names: what an open server (fdpass serve) needs to confine its clients to a root.
internal abstract partial class SocketTransport
{
    /// <summary>Whether this target can call openat2 at all (Linux); the kernel may still answer ENOSYS (before 5.6).</summary>
    public abstract bool HasOpenat2 { get; }

    /// <summary>
    /// openat2(<paramref name="directory"/>, <paramref name="relativePath"/>) with RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS
    /// and RESOLVE_NO_MAGICLINKS: no component may be a link or lead above the directory. EINTR and EAGAIN are retried.
    /// Null with errno where it failed; ENOSYS where the target or kernel has no openat2.
    /// </summary>
    public abstract SafeFileHandle? TryOpenBeneath(SafeFileHandle directory, string relativePath, int flags, uint mode, out int errno);

    /// <summary>openat(<paramref name="directory"/>, <paramref name="name"/>) with the target's raw flags (EINTR retried); null with errno where it failed.</summary>
    public abstract SafeFileHandle? TryOpenAt(SafeFileHandle directory, string name, int flags, uint mode, out int errno);

    /// <summary>fstat() an open descriptor: its file-type bits (st_mode &amp; S_IFMT), or -1 with errno.</summary>
    public abstract int TryGetFileType(SafeFileHandle handle, out int errno);

    /// <summary>getpwnam_r(): the user id of <paramref name="name"/>, or null where there is no such user.</summary>
    /// <exception cref="FdPassingException">The user database could not be read.</exception>
    public abstract uint? LookUpUser(string name);
}
