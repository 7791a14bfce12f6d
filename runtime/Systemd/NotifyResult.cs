namespace FdPasser.Systemd;

/// <summary>What became of a notification.</summary>
public enum NotifyResult
{
    /// <summary>It was sent to the service manager's socket.</summary>
    Sent,

    /// <summary>Nothing was sent: this process has no service manager to tell (no NOTIFY_SOCKET).</summary>
    NoServiceManager,
}
