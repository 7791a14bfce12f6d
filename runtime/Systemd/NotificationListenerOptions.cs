using System.IO;

namespace FdPasser.Systemd;

/// <summary>Limits and file settings of a <see cref="NotificationListener"/>.</summary>
public sealed class NotificationListenerOptions
{
    /// <summary>The largest datagram accepted; longer ones are refused whole. Default 4096 (what systemd reads).</summary>
    public int MaxMessageBytes { get; set; } = ServiceNotifier.MaxMessageBytes;

    /// <summary>The most descriptors one notification may carry; more are closed and the message refused. Default 253.</summary>
    public int MaxDescriptors { get; set; } = 253;

    /// <summary>The socket file's permissions (a path, not an abstract name). Default: owner read/write only.</summary>
    public UnixFileMode FileMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
