namespace FdPasser.Platform;

/// <summary>
/// The running target's open() flags, file-type bits and the errno values a file server answers with, taken
/// from the generated ABI so a process opens files with exactly its own system's numbers.
/// </summary>
internal sealed class FileAbi
{
    public required int O_ACCMODE { get; init; }

    public required int O_RDONLY { get; init; }

    public required int O_WRONLY { get; init; }

    public required int O_RDWR { get; init; }

    public required int O_CREAT { get; init; }

    /// <summary>0 where the target has no O_EXCL.</summary>
    public required int O_EXCL { get; init; }

    public required int O_TRUNC { get; init; }

    public required int O_APPEND { get; init; }

    public required int O_NONBLOCK { get; init; }

    /// <summary>0 where the target has no O_DIRECTORY.</summary>
    public required int O_DIRECTORY { get; init; }

    public required int O_NOFOLLOW { get; init; }

    public required int O_CLOEXEC { get; init; }

    public required int S_IFMT { get; init; }

    public required int S_IFSOCK { get; init; }

    public required int S_IFDIR { get; init; }

    public required int S_IFREG { get; init; }

    public required int S_IFLNK { get; init; }

    public required int EPERM { get; init; }

    public required int ENOENT { get; init; }

    public required int EACCES { get; init; }

    public required int EEXIST { get; init; }

    public required int ENOTDIR { get; init; }

    public required int EISDIR { get; init; }

    public required int EINVAL { get; init; }

    public required int ENAMETOOLONG { get; init; }

    public required int ELOOP { get; init; }

    // Opening beneath a directory (fdpass serve).

    /// <summary>0 where the target has no O_PATH.</summary>
    public required int O_PATH { get; init; }

    /// <summary>0 where the target has no O_NOCTTY.</summary>
    public required int O_NOCTTY { get; init; }

    public required int ENXIO { get; init; }

    public required int ENOSYS { get; init; }

    public required int EXDEV { get; init; }
}
