using System;
using System.Globalization;
using System.Runtime.InteropServices;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Server;

/// <summary>
/// Decides whether a request may be served and opens it: known flags only, write access only when allowed, the
/// path's components opened beneath the root by <see cref="BeneathOpener"/> (no symbolic link followed anywhere,
/// nothing acted on outside the root), and only regular files and directories served, as fstat() of the opened
/// descriptor says. The open adds O_NOFOLLOW, O_NOCTTY, O_CLOEXEC and O_NONBLOCK (a FIFO cannot block the server;
/// cleared again on what is served unless the client asked for it).
/// </summary>
internal sealed class FileOpener
{
    private readonly PathResolver _resolver;
    private readonly BeneathOpener _beneath;
    private readonly bool _allowWrite;
    private readonly FileCalls _files;
    private readonly PlatformConstants _abi;

    public FileOpener(PathResolver resolver, BeneathOpener beneath, bool allowWrite, FileCalls files)
    {
        _resolver = resolver;
        _beneath = beneath;
        _allowWrite = allowWrite;
        _files = files;
        _abi = files.Constants;
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
        if (!_resolver.TrySplit(request.Path, out string[] components, out refusal))
        {
            return null;
        }
        int openFlags = (flags & ~_abi.O_CLOEXEC) | _abi.O_NOFOLLOW | _abi.O_NOCTTY | _abi.O_CLOEXEC | _abi.O_NONBLOCK;
        SafeFileHandle? handle = _beneath.TryOpen(components, openFlags, 0x1B6 /* 0666, less the umask */, out OpenFailure failure);
        if (handle is null)
        {
            refusal = Refuse(request.Path, failure);
            return null;
        }
        try
        {
            int type = _files.TryGetFileType(handle, out int errno);
            if (type != _abi.S_IFREG && type != _abi.S_IFDIR)
            {
                refusal = type < 0 ? Failed(request.Path, errno, "fstat") : NotServable(request.Path);
                handle.Dispose();
                return null;
            }
            if ((flags & _abi.O_NONBLOCK) == 0)
            {
                _files.SetStatusFlags(handle, _files.GetStatusFlags(handle) & ~_abi.O_NONBLOCK);
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

    private Refusal Refuse(string path, OpenFailure failure)
    {
        int errno = failure.Errno;
        if (errno == _abi.ELOOP)
        {
            return new Refusal(errno, $"'{path}' passes through a symbolic link, and this server follows no symbolic links");
        }
        if (errno == _abi.ENOTDIR)
        {
            return new Refusal(errno, failure.At is { } at
                ? $"'{path}': '{at}' is not a directory (or is a symbolic link, which this server does not follow)"
                : $"'{path}': a component of the path is not a directory");
        }
        if (errno == _abi.EXDEV)
        {
            return new Refusal(_abi.EACCES, $"'{path}' leads out of the served root");
        }
        if (errno == _abi.ENXIO)
        {
            // O_NONBLOCK write opens of a FIFO without a reader (and of a device without a driver) end here.
            return NotServable(path);
        }
        return Failed(path, errno, failure.Call);
    }

    private Refusal Failed(string path, int errno, string call) =>
        new(errno, $"'{path}': {Marshal.GetPInvokeErrorMessage(errno)} ({call}() failed: {_files.ErrnoName(errno) ?? "errno " + errno})");

    private Refusal NotServable(string path) =>
        new(_abi.EACCES, $"'{path}' is not a regular file or a directory; only those are served");
}
