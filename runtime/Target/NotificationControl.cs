using FdPasser.Systemd;

namespace FdPasser.Platform;

/// <summary>What one receive from a notification socket brought besides its bytes.</summary>
internal readonly struct NotificationControl
{
    public NotificationControl(int descriptors, PeerCredentials? sender, bool truncated, bool dataTruncated, int unexpected, int senderPidfd = NoPidfd, bool malformed = false)
    {
        Malformed = malformed;
        SenderPidfd = senderPidfd;
        Descriptors = descriptors;
        Sender = sender;
        ControlTruncated = truncated;
        DataTruncated = dataTruncated;
        UnexpectedMessages = unexpected;
    }

    public int Descriptors { get; }

    /// <summary>The SCM_CREDENTIALS the kernel attached; null where none came.</summary>
    public PeerCredentials? Sender { get; }

    public bool ControlTruncated { get; }

    public bool DataTruncated { get; }

    /// <summary>The control data held a length no kernel writes; what followed it was not read.</summary>
    public bool Malformed { get; }

    /// <summary>Control messages other than SCM_RIGHTS, SCM_CREDENTIALS and one SCM_PIDFD (their descriptors, if any, were closed).</summary>
    public int UnexpectedMessages { get; }

    /// <summary>No SCM_PIDFD came (the socket has no SO_PASSPIDFD).</summary>
    public const int NoPidfd = int.MinValue;

    /// <summary>
    /// The SCM_PIDFD as it came: a pidfd of the sender (installed in this process, and then in the caller's pidfd
    /// owner); a negative errno where the kernel could not make one (the sender had been reaped: kernels 6.5 to 6.15);
    /// <see cref="NoPidfd"/> where none came.
    /// </summary>
    public int SenderPidfd { get; }
}
