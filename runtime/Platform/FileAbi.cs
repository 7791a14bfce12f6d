namespace FdPasser.Platform;

/// <summary>
/// The running target's open() flags, file-type bits and the errno values a file server answers with, taken
/// from the generated ABI so a process opens files with exactly its own system's numbers.
/// </summary>
internal sealed class FileAbi
{
    // The file-type bits below are not in the ABI files yet. They are the traditional sys/stat.h values, the same
    // on every target this library supports (Linux, macOS, FreeBSD, illumos).
    public const int S_IFDIR = 0x4000;
    public const int S_IFREG = 0x8000;
    public const int S_IFLNK = 0xA000;

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

    public required int EPERM { get; init; }

    public required int ENOENT { get; init; }

    public required int EACCES { get; init; }

    public required int EEXIST { get; init; }

    public required int ENOTDIR { get; init; }

    public required int EISDIR { get; init; }

    public required int EINVAL { get; init; }

    public required int ENAMETOOLONG { get; init; }

    public required int ELOOP { get; init; }
}
