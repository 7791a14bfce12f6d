using FdPasser.Platform;
using FdPasser.Systemd;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Who sent a notification. The pid of SCM_CREDENTIALS is a number: a sender that has exited and been reaped before
/// hold reads its datagram leaves that number free, and a process that then takes it (a user cycling pids can
/// arrange it) would be taken for the sender. From Linux 6.5 each datagram also brings a pidfd of the sender
/// (SCM_PIDFD), which names it and no later process: its pid is read from the pidfd, and the lineage read by that
/// number counts only if the pidfd still names the same number afterwards (the sender was not reaped meanwhile).
/// </summary>
internal sealed partial class HoldRunner
{
    /// <summary>On the receiving thread: the sender's lineage, by its pidfd where the kernel sent one, else by its number.</summary>
    private static ProcessLineage ReadSender(ServiceNotification n)
    {
        int numbered = n.Sender.ProcessId;
        SafeFileHandle? pidfd = n.SenderPidfd;
        if (pidfd is null)
        {
            // SCM_PIDFD came without a pidfd: the kernel could not make one, as the sender had been reaped.
            return n.SenderPidfdSent ? ProcessLineage.Gone(numbered) : ProcessLineage.Read(numbered);
        }
        CliTarget native = CliTarget.Current;
        try
        {
            int pid = native.Processes.ReadPidfdPid(pidfd);
            if (pid <= 0)
            {
                return ProcessLineage.Gone(numbered); // -1: reaped; 0: in a pid namespace hold cannot see into
            }
            ProcessLineage lineage = ProcessLineage.Read(pid);
            return native.Processes.ReadPidfdPid(pidfd) == pid ? lineage : ProcessLineage.Gone(pid);
        }
        catch (FdPassingException)
        {
            return ProcessLineage.Gone(numbered); // fdinfo unreadable: whose it was cannot be told
        }
    }

    /// <summary>
    /// The main pid a MAINPID= names, held from now on: the sender's own pidfd where it names itself (no lookup by
    /// number), else pidfd_open of the number. The sender's pidfd is closed here where it is not kept.
    /// </summary>
    private static ProcessHandle? HoldNamedMain(ServiceNotification n, ProcessLineage sender)
    {
        int? named = n.MainPid;
        SafeFileHandle? senderPidfd = n.TakeSenderPidfd();
        if (named is not { } mainPid || mainPid <= 1)
        {
            senderPidfd?.Dispose();
            return null;
        }
        if (senderPidfd is not null && sender.Presence != ProcessPresence.Gone && sender.Pid == mainPid)
        {
            return ProcessHandle.Adopt(mainPid, senderPidfd);
        }
        senderPidfd?.Dispose();
        return ProcessHandle.Open(mainPid);
    }
}
