using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

// Processes held by pidfd, the child subreaper, open files compared: what fdpass hold needs so that a pid number
// reused by another process is never taken for the service (pidfd_open(2), kcmp(2), PR_SET_CHILD_SUBREAPER).
internal sealed unsafe partial class ProcessCalls<TAbi>
{
    private static bool HasSyscall(bool hasNumber) => hasNumber && TAbi.Has_syscall_args;

    public override SafeFileHandle? TryOpenPidfd(int pid, out int errno)
    {
        if (!HasSyscall(TAbi.Has_SYS_pidfd_open))
        {
            errno = TAbi.ENOSYS;
            return null;
        }
        nint fd = TAbi.syscall_args(TAbi.SYS_pidfd_open, pid, 0, 0, 0, 0);
        errno = fd < 0 ? LastErrno : 0;
        // A pidfd is close-on-exec from the kernel (pidfd_open(2)), so no child inherits it.
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    public override int SignalPidfd(SafeHandle pidfd, int signal)
    {
        if (!HasSyscall(TAbi.Has_SYS_pidfd_send_signal))
        {
            return TAbi.ENOSYS;
        }
        using var scope = new FdScope(pidfd);
        return TAbi.syscall_args(TAbi.SYS_pidfd_send_signal, scope.Fd, signal, 0, 0, 0) == 0 ? 0 : LastErrno;
    }

    public override bool WaitForPidfd(SafeHandle pidfd, int timeoutMilliseconds)
    {
        using var scope = new FdScope(pidfd);
        byte* pfd = stackalloc byte[TAbi.PollfdSize];
        while (true)
        {
            TAbi.PollfdInit(pfd, scope.Fd, (short)TAbi.POLLIN);
            int n = TAbi.poll(pfd, 1, timeoutMilliseconds);
            if (n >= 0)
            {
                return n > 0;
            }
            int errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                throw Error("poll", errno, $"waiting for pidfd {scope.Fd} to say its process exited");
            }
        }
    }

    public override int CompareOpenFiles(int pid1, int fd1, int pid2, int fd2, out int errno)
    {
        if (!HasSyscall(TAbi.Has_SYS_kcmp) || !TAbi.Has_KCMP_FILE)
        {
            errno = TAbi.ENOSYS;
            return -1;
        }
        nint result = TAbi.syscall_args(TAbi.SYS_kcmp, pid1, pid2, TAbi.KCMP_FILE, fd1, fd2);
        errno = result < 0 ? LastErrno : 0;
        return (int)result;
    }

    public override int SetChildSubreaper()
    {
        if (!TAbi.Has_prctl || !TAbi.Has_PR_SET_CHILD_SUBREAPER)
        {
            return TAbi.ENOSYS;
        }
        return TAbi.prctl(TAbi.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : LastErrno;
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
