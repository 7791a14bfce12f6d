using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FdPasser.Protocol;

namespace FdPasser.Platform;

/// <summary>
/// The calls of the service-manager notification protocol (sd_notify's socket: SO_PASSCRED, SO_PASSPIDFD, recvmsg
/// of one datagram) and its clock, implemented once per target by <c>NotificationCalls&lt;TAbi&gt;</c>. Methods
/// throw <see cref="FdPassingException"/> naming the call and errno, except those named Try…
/// </summary>
internal abstract class NotificationCalls : TargetCalls
{
    public abstract bool SupportsCredentials { get; }

    public abstract SafeSocketHandle CreateDatagramSocket();

    /// <summary>setsockopt(SO_PASSCRED, 1): the kernel then attaches the sender's pid/uid/gid to every datagram.</summary>
    public abstract void EnablePassCredentials(SafeSocketHandle socket);

    /// <summary>setsockopt(SO_PASSPIDFD): true where every datagram now brings an SCM_PIDFD; false where the kernel (before 6.5) or target has no such option.</summary>
    public abstract bool TryEnablePassPidfd(SafeSocketHandle socket);

    /// <summary>
    /// One recvmsg(MSG_DONTWAIT): -1 with errno where none is waiting or the call failed. The SCM_RIGHTS descriptors go
    /// into <paramref name="descriptors"/> and the SCM_PIDFD into <paramref name="pidfd"/> as the control data is walked;
    /// the owners close what they have no room for (counted in <see cref="NotificationControl.UnexpectedMessages"/>).
    /// </summary>
    public abstract nint TryReceiveNotification(SafeHandle socket, Span<byte> data, ReceivedDescriptors descriptors, ReceivedDescriptors pidfd, out NotificationControl control, out int errno);

    /// <summary>CLOCK_MONOTONIC in microseconds, the clock systemd's MONOTONIC_USEC= is read against.</summary>
    public abstract long MonotonicMicroseconds();
}
