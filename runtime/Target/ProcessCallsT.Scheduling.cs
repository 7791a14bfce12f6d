namespace FdPasser.Platform;

internal sealed unsafe partial class ProcessCalls<TAbi>
{
    public override bool SupportsSchedulingPolicy =>
        TAbi.Has_SCHED_IDLE && TAbi.Has_SCHED_OTHER && TAbi.SchedParamSize > 0 &&
        ((TAbi.Has_sched_setscheduler && TAbi.Has_sched_getscheduler) ||
         (TAbi.Has_syscall_args && TAbi.Has_SYS_sched_setscheduler && TAbi.Has_SYS_sched_getscheduler));

    public override void RequireSchedulingPolicy()
    {
        if (!SupportsSchedulingPolicy)
        {
            throw Missing("a thread's scheduling policy (sched_setscheduler, sched_getscheduler, struct sched_param, SCHED_IDLE)");
        }
    }

    // The wrappers where the C library has real ones (glibc); else the kernel's calls themselves (musl, whose wrappers
    // answer ENOSYS): the same system calls glibc's wrappers make.
    public override int GetSchedulingPolicy(int tid, out int errno)
    {
        int policy = TAbi.Has_sched_getscheduler ? TAbi.sched_getscheduler(tid)
            : TAbi.Has_SYS_sched_getscheduler ? (int)TAbi.syscall_args(TAbi.SYS_sched_getscheduler, tid, 0, 0, 0, 0)
            : throw Missing("sched_getscheduler");
        errno = policy < 0 ? LastErrno : 0;
        return policy < 0 ? -1 : policy;
    }

    public override int SetSchedulingPolicy(int tid, int policy)
    {
        byte* param = stackalloc byte[TAbi.SchedParamSize]; // zero-filled below: priority 0, the only one these policies take
        new System.Span<byte>(param, TAbi.SchedParamSize).Clear();
        int r = TAbi.Has_sched_setscheduler ? TAbi.sched_setscheduler(tid, policy, param)
            : TAbi.Has_SYS_sched_setscheduler ? (int)TAbi.syscall_args(TAbi.SYS_sched_setscheduler, tid, policy, (nint)param, 0, 0)
            : throw Missing("sched_setscheduler");
        return r == 0 ? 0 : LastErrno;
    }

    /// <summary>
    /// SCHED_IDLE for a child, set on its pid (its first thread) right after spawn: posix_spawn returns once the
    /// child has executed its first program, and no C library here can set SCHED_IDLE in the child itself (glibc's
    /// posix_spawnattr_setschedpolicy answers EINVAL for it, musl's ENOSYS). Where descriptors are passed the first
    /// program is the LISTEN_PID shell step, which creates no thread and execs the program, so the program starts
    /// idle unless that shell got through both of its execs before this call; threads a program made meanwhile keep
    /// the old policy, a start that competes as it would without the option. Setting SCHED_IDLE needs no privilege;
    /// a child already gone (ESRCH) is the caller's to see when it reaps it.
    /// </summary>
    private void IdleAfterSpawn(int pid) => _ = SetSchedulingPolicy(pid, TAbi.SCHED_IDLE);
}
