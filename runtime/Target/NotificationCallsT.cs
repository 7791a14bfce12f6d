using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FdPasser.Platform;

internal sealed unsafe partial class NotificationCalls<TAbi>
{
    public override bool SupportsCredentials => TAbi.Has_SO_PASSCRED && TAbi.Has_SCM_CREDENTIALS && TAbi.Has_setsockopt;

    public override SafeSocketHandle CreateDatagramSocket()
    {
        if (!TAbi.Has_SOCK_DGRAM)
        {
            throw Missing("SOCK_DGRAM");
        }
        int fd = TAbi.socket(TAbi.AF_UNIX, TAbi.SOCK_DGRAM | (TAbi.Has_SOCK_CLOEXEC ? TAbi.SOCK_CLOEXEC : 0), 0);
        if (fd < 0)
        {
            throw Error("socket", LastErrno, "creating a Unix datagram socket");
        }
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        if (!TAbi.Has_SOCK_CLOEXEC && FileCalls<TAbi>.Instance.TrySetCloseOnExec(fd) is int errno and not 0)
        {
            handle.Dispose();
            throw Error("fcntl", errno, "setting FD_CLOEXEC on a new datagram socket");
        }
        return handle;
    }

    public override void EnablePassCredentials(SafeSocketHandle socket)
    {
        if (!SupportsCredentials)
        {
            throw new PlatformNotSupportedException(
                $"Receiving a sender's credentials with each datagram (SO_PASSCRED, SCM_CREDENTIALS) is Linux's; {TAbi.Rid} has no such option.");
        }
        using var scope = new FdScope(socket);
        int one = 1;
        if (TAbi.setsockopt(scope.Fd, TAbi.SOL_SOCKET, TAbi.SO_PASSCRED, &one, sizeof(int)) != 0)
        {
            throw Error("setsockopt", LastErrno, "enabling SO_PASSCRED on the notification socket");
        }
    }

    [SkipLocalsInit]
    public override nint TryReceiveNotification(SafeHandle socket, Span<byte> data, Span<int> descriptors, out NotificationControl control, out int errno)
    {
        // Room for the most descriptors a message can carry, the credentials, and one stray message to be seen.
        int space = (int)TAbi.CmsgSpace((nuint)((TAbi.MaxFdsPerMessage + 1) * sizeof(int))) +
            (int)TAbi.CmsgSpace((nuint)TAbi.PeerCredSize) + (int)TAbi.CmsgSpace(sizeof(int)) + (int)TAbi.CmsgSpace(64);
        byte* buffer = stackalloc byte[space];
        byte* iov = stackalloc byte[TAbi.IovecSize];
        byte* msg = stackalloc byte[TAbi.MsghdrSize];
        nint n = RecvMsgCall<TAbi>.Receive(socket, data, buffer, space, iov, msg, out errno);
        if (n < 0)
        {
            control = default;
            return -1;
        }
        int msgFlags = TAbi.MsghdrFlags(msg);
        control = ParseNotificationControl(new Span<byte>(buffer, space), TAbi.MsghdrControlLength(msg), msgFlags, descriptors);
        return n;
    }

    /// <summary>
    /// Walks the control data of one notification: takes SCM_RIGHTS descriptors (closing any beyond
    /// <paramref name="descriptors"/>), reads SCM_CREDENTIALS, takes one SCM_PIDFD (closing any further one), and
    /// counts anything else.
    /// </summary>
    internal static NotificationControl ParseNotificationControl(Span<byte> control, nuint reported, int msgFlags, Span<int> descriptors)
    {
        nuint length = reported < (nuint)control.Length ? reported : (nuint)control.Length;
        int taken = 0, unexpected = 0;
        int pidfd = NotificationControl.NoPidfd;
        PeerCredentials? sender = null;
        fixed (byte* start = control)
        {
            nuint offset = 0;
            while (offset + (nuint)TAbi.CmsgHeaderSize <= length)
            {
                TAbi.CmsgRead(start + offset, out nuint cmsgLength, out int level, out int type);
                if (cmsgLength < (nuint)TAbi.CmsgHeaderSpace || cmsgLength > length - offset)
                {
                    break;
                }
                byte* payload = start + offset + TAbi.CmsgHeaderSpace;
                int payloadLength = (int)(cmsgLength - (nuint)TAbi.CmsgHeaderSpace);
                if (level == TAbi.SOL_SOCKET && type == TAbi.SCM_RIGHTS)
                {
                    for (int i = 0; i + sizeof(int) <= payloadLength; i += sizeof(int))
                    {
                        int fd = Unsafe.ReadUnaligned<int>(payload + i);
                        if (taken < descriptors.Length)
                        {
                            descriptors[taken++] = fd;
                        }
                        else
                        {
                            TAbi.close(fd);
                            unexpected++;
                        }
                    }
                }
                else if (level == TAbi.SOL_SOCKET && TAbi.Has_SCM_PIDFD && type == TAbi.SCM_PIDFD && payloadLength >= sizeof(int))
                {
                    int fd = Unsafe.ReadUnaligned<int>(payload);
                    if (pidfd == NotificationControl.NoPidfd)
                    {
                        pidfd = fd; // negative: the kernel's errno, no descriptor
                    }
                    else
                    {
                        if (fd >= 0)
                        {
                            TAbi.close(fd);
                        }
                        unexpected++;
                    }
                }
                else if (level == TAbi.SOL_SOCKET && TAbi.Has_SCM_CREDENTIALS && type == TAbi.SCM_CREDENTIALS &&
                    payloadLength >= TAbi.PeerCredSize && TAbi.PeerCredentials == Interop.PeerCredentialMethod.SoPeerCred)
                {
                    TAbi.PeerCredRead(payload, out int pid, out uint uid, out uint gid);
                    sender = new PeerCredentials(pid, uid, gid);
                }
                else
                {
                    unexpected++;
                }
                nuint step = TAbi.CmsgAlign(cmsgLength);
                if (step == 0 || step > length - offset)
                {
                    break;
                }
                offset += step;
            }
        }
        return new NotificationControl(taken, sender, (msgFlags & TAbi.MSG_CTRUNC) != 0,
            TAbi.Has_MSG_TRUNC && (msgFlags & TAbi.MSG_TRUNC) != 0, unexpected, pidfd);
    }

    public override long MonotonicMicroseconds()
    {
        if (!TAbi.Has_clock_gettime || !TAbi.Has_CLOCK_MONOTONIC || TAbi.TimespecSize == 0)
        {
            throw Missing("clock_gettime(CLOCK_MONOTONIC)");
        }
        byte* ts = stackalloc byte[TAbi.TimespecSize];
        if (TAbi.clock_gettime(TAbi.CLOCK_MONOTONIC, ts) != 0)
        {
            throw Error("clock_gettime", LastErrno, "reading CLOCK_MONOTONIC for MONOTONIC_USEC");
        }
        TAbi.TimespecRead(ts, out long seconds, out long nanoseconds);
        return seconds * 1_000_000 + nanoseconds / 1000;
    }
}
