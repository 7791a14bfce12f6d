namespace FdPasser;

/// <summary>How descriptors travel between the ends of a channel.</summary>
public enum FdTransportKind
{
    /// <summary>Unix domain stream sockets with SCM_RIGHTS control messages (Linux, macOS, FreeBSD, illumos).</summary>
    Socket,

    /// <summary>STREAMS pipes with <c>ioctl(I_SENDFD)</c> / <c>ioctl(I_RECVFD)</c> and <c>connld</c> endpoints (illumos, Solaris).</summary>
    Streams,
}
