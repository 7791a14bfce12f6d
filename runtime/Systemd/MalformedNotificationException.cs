namespace FdPasser.Systemd;

/// <summary>
/// A datagram on a notification socket was not a well-formed notification. The descriptors it carried were
/// closed; the socket keeps receiving.
/// </summary>
public sealed class MalformedNotificationException : FdPassingException
{
    /// <summary>Creates the exception.</summary>
    public MalformedNotificationException(string message, PeerCredentials? sender, int descriptorsClosed)
        : base(message)
    {
        Sender = sender;
        DescriptorsClosed = descriptorsClosed;
    }

    /// <summary>Who sent it, as the kernel vouched (null where no credentials came with it).</summary>
    public PeerCredentials? Sender { get; }

    /// <summary>How many descriptors came with it and were closed.</summary>
    public int DescriptorsClosed { get; }
}
