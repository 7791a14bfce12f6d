using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FdPasser.Platform;

// Notification senders by pidfd (Linux 6.5, SO_PASSPIDFD/SCM_PIDFD): the pid in SCM_CREDENTIALS is a number, which
// names another process once the sender has exited and been reaped; the pidfd names that sender and no later one.
internal sealed unsafe partial class PosixNative<TAbi>
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

    public override int ReadPidfdPid(SafeHandle pidfd)
    {
        using var scope = new FdScope(pidfd);
        string path = ProcPaths.Entry(TAbi.PROC_PID_FDINFO, ProcPaths.Self, scope.Fd) ??
            throw Missing("A descriptor's fdinfo file (PROC_PID_FDINFO)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FdPassingException($"Reading {path} to learn a pidfd's pid failed: {e.Message}", e);
        }
        foreach (string line in text.Split('\n'))
        {
            // proc(5): "Pid:" is the process's pid in this namespace; -1 once it has been reaped (0 outside the namespace).
            if (line.StartsWith("Pid:", StringComparison.Ordinal) &&
                int.TryParse(line.AsSpan(4).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int pid))
            {
                return pid;
            }
        }
        throw new FdPassingException($"{path} has no Pid: line: descriptor {scope.Fd} is not a pidfd.");
    }
}
