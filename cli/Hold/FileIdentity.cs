namespace FdPasser.Cli.Hold;

/// <summary>Which file a descriptor refers to (fstat's st_dev and st_ino): two descriptors with the same identity are the same file.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode);
