using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Processes;
using FdPasser.Protocol;

namespace FdPasser.Platform;

internal sealed unsafe partial class PosixNative<TAbi>
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
        if (!TAbi.Has_SOCK_CLOEXEC && TrySetCloseOnExec(fd) is int errno and not 0)
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

    // Credentials come with datagrams only on Linux (SO_PASSCRED), and a Linux process's parent is in procfs: proc(5).
    public override ProcessStatus? ReadProcessStatus(int pid)
    {
        RequireProcessTable();
        string line;
        try
        {
            line = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone (ENOENT, or ESRCH while it was read), or hidden by procfs's hidepid=
        }
        return ProcessStatus.TryParse(line, out ProcessStatus status) && status.Pid == pid ? status : null;
    }

    public override IReadOnlyList<int> ProcessIds()
    {
        RequireProcessTable();
        var pids = new List<int>();
        foreach (string entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private void RequireProcessTable()
    {
        if (!SupportsCredentials)
        {
            throw new PlatformNotSupportedException($"The process table is read only to place the sender of a notification, which needs SO_PASSCRED; {TAbi.Rid} does not have it.");
        }
    }

    [SkipLocalsInit]
    public override nint TryReceiveNotification(SafeHandle socket, Span<byte> data, ReceivedDescriptors descriptors, ReceivedDescriptors pidfd, out NotificationControl control, out int errno)
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
        control = ParseNotificationControl(new ReadOnlySpan<byte>(buffer, space), TAbi.MsghdrControlLength(msg), msgFlags, descriptors, pidfd);
        return n;
    }

    /// <summary>
    /// Walks the control data of one notification: SCM_RIGHTS descriptors go into <paramref name="descriptors"/>
    /// (which closes any it has no room for), SCM_CREDENTIALS is read, one SCM_PIDFD goes into <paramref name="pidfd"/>
    /// (a further one is refused through it), and anything else is counted.
    /// </summary>
    internal static NotificationControl ParseNotificationControl(ReadOnlySpan<byte> control, nuint reported, int msgFlags, ReceivedDescriptors descriptors, ReceivedDescriptors pidfd)
    {
        int taken = 0, unexpected = 0;
        int senderPidfd = NotificationControl.NoPidfd;
        PeerCredentials? sender = null;
        var messages = new ControlMessages<TAbi>(control, reported, msgFlags);
        while (messages.MoveNext())
        {
            ControlMessage message = messages.Current;
            switch (message.Kind)
            {
                case ControlMessageKind.Rights:
                    for (int i = 0; i < message.DescriptorCount; i++)
                    {
                        int received = message.Descriptor(i);
                        if (received < 0)
                        {
                            continue;
                        }
                        if (descriptors.Add(received))
                        {
                            taken++;
                        }
                        else
                        {
                            unexpected++;
                        }
                    }
                    break;
                case ControlMessageKind.Pidfd:
                    int fd = message.Descriptor(0); // negative: the kernel's errno, no descriptor
                    if (senderPidfd == NotificationControl.NoPidfd)
                    {
                        senderPidfd = fd;
                        if (fd >= 0)
                        {
                            pidfd.Add(fd);
                        }
                    }
                    else
                    {
                        if (fd >= 0)
                        {
                            pidfd.Refuse(fd);
                        }
                        unexpected++;
                    }
                    break;
                case ControlMessageKind.Credentials:
                    sender = message.Credentials;
                    break;
                default:
                    unexpected++;
                    break;
            }
        }
        return new NotificationControl(taken, sender, messages.Truncated,
            TAbi.Has_MSG_TRUNC && (msgFlags & TAbi.MSG_TRUNC) != 0, unexpected, senderPidfd, messages.Malformed);
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
