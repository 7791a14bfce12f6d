using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using FdPasser.Processes;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Platform;

/// <summary>
/// Child processes and this process's own: spawn, exec, signals, reaping, pidfds, the process table, the parent and
/// the open-files limit; implemented once per target by <c>ProcessCalls&lt;TAbi&gt;</c>. Methods throw
/// <see cref="FdPassingException"/> naming the call and errno, except those named Try… and those returning an errno.
/// </summary>
internal abstract class ProcessCalls : TargetCalls
{
    public abstract bool SupportsSpawn { get; }

    /// <summary>
    /// posix_spawn of <paramref name="path"/>: each (handle, target) of <paramref name="layout"/> appears at that
    /// number in the child, every other descriptor is closed where the target can say so; default signal
    /// dispositions and an empty mask; under SCHED_IDLE where <paramref name="idle"/> (see
    /// <see cref="SupportsSchedulingPolicy"/>). Returns the child's pid.
    /// </summary>
    public abstract int Spawn(string path, string[] argv, string[] envp, ReadOnlySpan<(SafeHandle Handle, int Target)> layout, bool newSession, bool idle = false);

    // Scheduling policies of threads (ProcessCallsT.Scheduling.cs)

    /// <summary>True where a thread's scheduling policy can be read and set, and SCHED_IDLE exists (Linux).</summary>
    public abstract bool SupportsSchedulingPolicy { get; }

    /// <exception cref="PlatformNotSupportedException">Not <see cref="SupportsSchedulingPolicy"/>: names what the target's ABI file lacks.</exception>
    public abstract void RequireSchedulingPolicy();

    /// <summary>sched_getscheduler(<paramref name="tid"/>) (0: the calling thread): the policy, or -1 with the errno.</summary>
    public abstract int GetSchedulingPolicy(int tid, out int errno);

    /// <summary>sched_setscheduler(<paramref name="tid"/>, <paramref name="policy"/>, priority 0) (0: the calling thread); 0 or the errno.</summary>
    public abstract int SetSchedulingPolicy(int tid, int policy);

    /// <summary>True where this process can replace its own program (execve).</summary>
    public abstract bool SupportsExec { get; }

    /// <summary>
    /// execve of <paramref name="path"/> in this process (same pid, children and every descriptor without
    /// close-on-exec); returns only when it failed, with the errno.
    /// </summary>
    public abstract int Exec(string path, string[] argv, string[] envp);

    /// <summary>Clears FD_CLOEXEC, so the descriptor survives <see cref="Exec"/>; 0 or the errno.</summary>
    public abstract int TryClearCloseOnExec(int fd);

    /// <summary>Blocks until <paramref name="pid"/> has ended, without reaping it (waitid WNOWAIT); 0 or an errno.</summary>
    public abstract int WaitUntilEnded(int pid);

    /// <summary>waitpid(WNOHANG): the pid and its raw status, 0 while it runs, or -1 with errno.</summary>
    public abstract int TryReap(int pid, out int status, out int errno);

    /// <summary>kill(); 0 or the errno.</summary>
    public abstract int Kill(int pid, int signal);

    /// <summary>The target's number of a signal, or 0 where it cannot be sent here.</summary>
    public abstract int SignalNumber(PosixSignal signal);

    /// <summary>
    /// Sets this process's disposition of <paramref name="signal"/> to the default action (signal(SIG_DFL)) and
    /// says whether it was anything else, such as ignored by inheritance (nohup). The .NET runtime keeps an
    /// inherited SIG_IGN and installs no handler over it, so a PosixSignalRegistration for such a signal is never
    /// called unless this ran before the first registration for it.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The target's ABI file describes no signal() or SIG_DFL.</exception>
    public abstract bool ResetSignalToDefault(PosixSignal signal);

    /// <summary>
    /// A process's state and parent from the target's PROC_PID_STAT file; null where the process is gone (or hidden
    /// from this one).
    /// </summary>
    public abstract ProcessStatus? ReadProcessStatus(int pid);

    /// <summary>Every process this one can see, where <see cref="ReadProcessStatus"/> works.</summary>
    public abstract IReadOnlyList<int> ProcessIds();

    /// <summary>
    /// The thread ids of <paramref name="pid"/> from the target's PROC_PID_TASK directory; none where the target names
    /// none or the process is gone (or hidden from this one).
    /// </summary>
    public abstract IReadOnlyList<int> ThreadIds(int pid);

    /// <summary>getppid(): this process's parent.</summary>
    /// <exception cref="PlatformNotSupportedException">The target's ABI file describes no getppid().</exception>
    public abstract int ParentProcessId();

    /// <summary>getrlimit(RLIMIT_NOFILE) of this process; "unlimited" is <see cref="long.MaxValue"/>; null where the target has no getrlimit or it failed.</summary>
    public abstract (long Soft, long Hard)? OpenFilesLimit();

    // Processes by pidfd, the child subreaper, open files compared (ProcessCallsT.Pidfd.cs)

    /// <summary>pidfd_open(pid, 0): a descriptor that names this process and no later one with its number; null with errno (ESRCH gone, ENOSYS no such call).</summary>
    public abstract SafeFileHandle? TryOpenPidfd(int pid, out int errno);

    /// <summary>pidfd_send_signal(); 0 or the errno (ESRCH once the process has ended, even if its number was reused).</summary>
    public abstract int SignalPidfd(SafeHandle pidfd, int signal);

    /// <summary>poll() of a pidfd: true once its process has exited; false when <paramref name="timeoutMilliseconds"/> passed.</summary>
    public abstract bool WaitForPidfd(SafeHandle pidfd, int timeoutMilliseconds);

    /// <summary>The pid a pidfd names, from /proc/self/fdinfo ("Pid:"): -1 once the process has been reaped.</summary>
    public abstract int ReadPidfdPid(SafeHandle pidfd);

    /// <summary>kcmp(KCMP_FILE): 0 where both descriptors are one open file, 1-3 where not; -1 with errno (ENOSYS, EPERM, EBADF).</summary>
    public abstract int CompareOpenFiles(int pid1, int fd1, int pid2, int fd2, out int errno);

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants become this process's children; 0 or the errno.</summary>
    public abstract int SetChildSubreaper();
}
