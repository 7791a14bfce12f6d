using System;
using System.IO;
using System.Globalization;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Server;

/// <summary>
/// Decides whether a request may be served and opens it: known flags only, write access only when allowed,
/// the path resolved under the root, only regular files and directories. The open itself adds O_NOFOLLOW
/// (the resolved path has no links left, so one appearing now is refused), O_NONBLOCK (a FIFO swapped in
/// cannot block the server; cleared again afterwards unless asked for) and O_CLOEXEC.
/// </summary>
internal sealed class FileOpener
{
    private readonly PathResolver _resolver;
    private readonly bool _allowWrite;
    private readonly SocketTransport _transport;
    private readonly FileAbi _abi;

    public FileOpener(PathResolver resolver, bool allowWrite, SocketTransport transport)
    {
        _resolver = resolver;
        _allowWrite = allowWrite;
        _transport = transport;
        _abi = transport.Files;
    }

    public string Root => _resolver.Root;

    public bool AllowWrite => _allowWrite;

    /// <summary>Opens the request's file; null with the refusal where it is not served.</summary>
    public SafeFileHandle? Open(OpenRequest request, out Refusal refusal)
    {
        int flags = request.Flags;
        int unknown = flags & ~OpenFlags.Known(_abi);
        if (unknown != 0)
        {
            refusal = new Refusal(_abi.EINVAL, $"open flags 0x{unknown.ToString("x", CultureInfo.InvariantCulture)} are not supported by this server");
            return null;
        }
        int mode = flags & _abi.O_ACCMODE;
        if (mode != _abi.O_RDONLY && mode != _abi.O_WRONLY && mode != _abi.O_RDWR)
        {
            refusal = new Refusal(_abi.EINVAL, $"access mode {mode} is not O_RDONLY, O_WRONLY or O_RDWR");
            return null;
        }
        bool writes = mode != _abi.O_RDONLY || (flags & (_abi.O_CREAT | _abi.O_TRUNC)) != 0;
        if (writes && !_allowWrite)
        {
            refusal = new Refusal(_abi.EACCES, $"{OpenFlags.Describe(flags, _abi)} needs write access, which this server does not allow (no --allow-write)");
            return null;
        }
        bool create = (flags & _abi.O_CREAT) != 0;
        if (!_resolver.TryResolve(request.Path, leafMayBeMissing: create, out ResolvedPath resolved, out refusal))
        {
            return null;
        }
        if (!IsServable(resolved.FileType) && resolved.FileType >= 0)
        {
            refusal = NotServable(request.Path);
            return null;
        }
        int openFlags = (flags & ~_abi.O_CLOEXEC) | _abi.O_NOFOLLOW | _abi.O_CLOEXEC | _abi.O_NONBLOCK;
        SafeFileHandle? handle = _transport.TryOpen(resolved.FullPath, openFlags, 0x1B6 /* 0666, less the umask */, out int errno);
        if (handle is null)
        {
            refusal = new Refusal(errno, $"'{request.Path}': {Marshal.GetPInvokeErrorMessage(errno)} (open() failed: {_transport.ErrnoName(errno) ?? "errno " + errno})");
            return null;
        }
        try
        {
            if ((flags & _abi.O_NONBLOCK) == 0)
            {
                _transport.SetStatusFlags(handle, _transport.GetStatusFlags(handle) & ~_abi.O_NONBLOCK);
            }
            if (!StillTheResolvedFile(handle, resolved.FullPath))
            {
                refusal = new Refusal(_abi.EACCES, $"'{request.Path}' changed while it was being opened");
                handle.Dispose();
                return null;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        refusal = default;
        return handle;
    }

    private bool IsServable(int fileType) => fileType == _abi.S_IFREG || fileType == _abi.S_IFDIR;

    private Refusal NotServable(string path) =>
        new(_abi.EACCES, $"'{path}' is not a regular file or a directory; only those are served");

    /// <summary>
    /// Checks the open descriptor against the checked path, closing the window between the checks and the
    /// open: the path is still a regular file or directory, and (on Linux, through /proc/self/fd) the
    /// descriptor is the file at that path.
    /// </summary>
    private bool StillTheResolvedFile(SafeFileHandle handle, string fullPath)
    {
        if (!IsServable(_transport.TryGetFileType(fullPath, out _)))
        {
            return false;
        }
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }
        string? opened;
        try
        {
            opened = new FileInfo("/proc/self/fd/" + handle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)).LinkTarget;
        }
        catch (IOException)
        {
            return true; // no /proc mounted: the checks above stand alone
        }
        return opened is null || opened == fullPath;
    }
}
