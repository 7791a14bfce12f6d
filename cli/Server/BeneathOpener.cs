using System;
using System.IO;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Server;

/// <summary>How an open beneath the root failed: the errno, the call that answered it, and (for the walk) the components that were reached.</summary>
internal readonly record struct OpenFailure(int Errno, string Call, string? At);

/// <summary>
/// Opens request paths relative to a descriptor of the root, held for the server's life, so that neither a symbolic
/// link at any component nor a rename during the lookup can make an open (or its O_CREAT/O_TRUNC) act outside the
/// root. On Linux 5.6+ the kernel resolves the whole path: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS. Elsewhere (other systems, older kernels answering ENOSYS, or FDPASS_SERVE_OPENAT2=0) the
/// path is walked one component at a time: each directory opened with openat(O_DIRECTORY | O_NOFOLLOW) relative to
/// the one before, the last component with O_NOFOLLOW. Either way the path is never looked at again afterwards.
/// </summary>
internal sealed class BeneathOpener : IDisposable
{
    private readonly SafeFileHandle _root;
    private readonly FileCalls _files;
    private readonly PlatformConstants _abi;

    private BeneathOpener(SafeFileHandle root, FileCalls files, bool openat2, string walkReason)
    {
        _root = root;
        _files = files;
        _abi = files.Constants;
        UsesOpenat2 = openat2;
        WalkReason = walkReason;
    }

    /// <summary>Whether opens go through openat2 (decided once, at start); otherwise they walk with openat.</summary>
    public bool UsesOpenat2 { get; }

    /// <summary>
    /// Why the walk is used (empty with openat2): turned off, no openat2 on this system, or what the probe answered
    /// (ENOSYS from a kernel, or an emulator, without it; EPERM from a seccomp filter).
    /// </summary>
    public string WalkReason { get; }

    /// <summary>
    /// Opens the root directory <paramref name="realRoot"/> and finds out whether the kernel has openat2 by opening the
    /// root through it (ENOSYS: no; EPERM: a seccomp filter that refuses it, so the walk is used as well).
    /// </summary>
    /// <exception cref="IOException">The root cannot be opened.</exception>
    public static BeneathOpener Open(string realRoot, FileCalls files, bool allowOpenat2)
    {
        PlatformConstants abi = files.Constants;
        int directoryFlags = DirectoryFlags(abi);
        SafeFileHandle? root = files.TryOpen(realRoot, directoryFlags, 0, out int errno);
        if (root is null)
        {
            throw new IOException($"cannot open the root '{realRoot}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (open() failed: {files.ErrnoName(errno) ?? "errno " + errno})");
        }
        if (!allowOpenat2)
        {
            return new BeneathOpener(root, files, false, "openat2 turned off");
        }
        if (!files.HasOpenat2)
        {
            return new BeneathOpener(root, files, false, "no openat2 here");
        }
        using SafeFileHandle? probe = files.TryOpenBeneath(root, ".", directoryFlags, 0, out errno);
        return probe is not null
            ? new BeneathOpener(root, files, true, "")
            : new BeneathOpener(root, files, false, $"openat2 answered {files.ErrnoName(errno) ?? "errno " + errno}");
    }

    /// <summary>
    /// Opens <paramref name="components"/> (none: the root itself) beneath the root with <paramref name="flags"/>,
    /// which must include O_NOFOLLOW; null with what failed.
    /// </summary>
    public SafeFileHandle? TryOpen(string[] components, int flags, uint mode, out OpenFailure failure)
    {
        if (UsesOpenat2)
        {
            string path = components.Length == 0 ? "." : string.Join('/', components);
            SafeFileHandle? opened = _files.TryOpenBeneath(_root, path, flags, mode, out int errno);
            failure = new OpenFailure(errno, "openat2", null);
            return opened;
        }
        return Walk(components, flags, mode, out failure);
    }

    private SafeFileHandle? Walk(string[] components, int flags, uint mode, out OpenFailure failure)
    {
        SafeFileHandle directory = _root;
        try
        {
            for (int i = 0; i < components.Length - 1; i++)
            {
                SafeFileHandle? next = _files.TryOpenAt(directory, components[i], DirectoryFlags(_abi), 0, out int errno);
                if (next is null)
                {
                    failure = new OpenFailure(errno, "openat", string.Join('/', components, 0, i + 1));
                    return null;
                }
                if (directory != _root)
                {
                    directory.Dispose();
                }
                directory = next;
            }
            string last = components.Length == 0 ? "." : components[^1];
            SafeFileHandle? opened = _files.TryOpenAt(directory, last, flags, mode, out int leafErrno);
            failure = new OpenFailure(leafErrno, "openat", null);
            return opened;
        }
        finally
        {
            if (directory != _root)
            {
                directory.Dispose();
            }
        }
    }

    /// <summary>A directory to look up names in: O_PATH where the system has it (search permission suffices), no link followed.</summary>
    private static int DirectoryFlags(PlatformConstants abi) =>
        (abi.O_PATH != 0 ? abi.O_PATH : abi.O_RDONLY) | abi.O_DIRECTORY | abi.O_NOFOLLOW | abi.O_CLOEXEC;

    public void Dispose() => _root.Dispose();
}
