using System.Net.Sockets;

namespace FdPasser.Platform;

// Notification senders by pidfd (Linux 6.5, SO_PASSPIDFD/SCM_PIDFD): the pid in SCM_CREDENTIALS is a number, which
// names another process once the sender has exited and been reaped; the pidfd names that sender and no later one.
internal sealed unsafe partial class NotificationCalls<TAbi>
{
    public override bool TryEnablePassPidfd(SafeSocketHandle socket)
    {
        if (!TAbi.Has_SO_PASSPIDFD || !TAbi.Has_SCM_PIDFD || !TAbi.Has_setsockopt)
        {
            return false;
        }
        using var scope = new FdScope(socket);
        int one = 1;
        if (TAbi.setsockopt(scope.Fd, TAbi.SOL_SOCKET, TAbi.SO_PASSPIDFD, &one, sizeof(int)) == 0)
        {
            return true;
        }
        int errno = LastErrno;
        // A kernel before 6.5 does not know the option: senders are then known by SCM_CREDENTIALS alone.
        if (errno == TAbi.ENOPROTOOPT || errno == TAbi.EINVAL)
        {
            return false;
        }
        throw Error("setsockopt", errno, "enabling SO_PASSPIDFD on the notification socket");
    }
}
