namespace FdPasser.Systemd;

/// <summary>What an inherited descriptor refers to, from <c>fstat</c>.</summary>
public enum DescriptorKind
{
    /// <summary>A socket (its type from <c>SO_TYPE</c>).</summary>
    Socket,

    /// <summary>A regular file, including a memory file (<c>memfd_create</c>) or shared memory object.</summary>
    RegularFile,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A pipe or FIFO.</summary>
    Fifo,

    /// <summary>A character device (a terminal, <c>/dev/null</c>).</summary>
    CharacterDevice,

    /// <summary>Anything else (a block device, an event descriptor).</summary>
    Other,
}
