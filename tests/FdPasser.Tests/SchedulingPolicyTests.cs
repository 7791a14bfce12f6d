using System;
using System.Threading;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Tests;

/// <summary>
/// Threads' scheduling policies (fdpass hold --start-priority idle): Linux files describe them (glibc through its
/// wrappers, musl through the system calls), the others do not and say so naming their ABI file.
/// </summary>
public sealed class SchedulingPolicyTests
{
    [Fact]
    public void Only_the_Linux_files_describe_scheduling_policies()
    {
        Assert.True(ProcessCalls<LinuxX64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.True(ProcessCalls<LinuxArm64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.True(ProcessCalls<LinuxArm.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.True(ProcessCalls<LinuxMuslX64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.False(LinuxMuslX64.Abi.Has_sched_setscheduler); // musl's wrapper answers ENOSYS: the system call instead
        Assert.True(LinuxMuslX64.Abi.Has_SYS_sched_setscheduler);
        Assert.False(ProcessCalls<OsxX64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.False(ProcessCalls<OsxArm64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.False(ProcessCalls<FreebsdX64.Abi>.Instance.SupportsSchedulingPolicy);
        Assert.False(ProcessCalls<IllumosX64.Abi>.Instance.SupportsSchedulingPolicy);
    }

    [Fact]
    public void A_target_without_them_names_what_its_ABI_file_lacks()
    {
        var e = Assert.Throws<PlatformNotSupportedException>(() => ProcessCalls<FreebsdX64.Abi>.Instance.RequireSchedulingPolicy());

        Assert.Contains("sched_setscheduler", e.Message, StringComparison.Ordinal);
        Assert.Contains("abi/freebsd-x64.abi", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_thread_goes_to_SCHED_IDLE_and_reads_it_back_alone()
    {
        ProcessCalls calls = Target.Current.Processes;
        Assert.SkipUnless(calls.SupportsSchedulingPolicy, "this system's ABI file describes no scheduling policies");
        PlatformConstants c = calls.Constants;
        int own = calls.GetSchedulingPolicy(0, out int errno);
        Assert.True(own >= 0, $"sched_getscheduler: errno {errno}");
        int set = -1, seen = -1, others = -1;
        var thread = new Thread(() =>
        {
            set = calls.SetSchedulingPolicy(0, c.SCHED_IDLE);
            seen = calls.GetSchedulingPolicy(0, out _);
        });
        thread.Start();
        thread.Join();
        others = calls.GetSchedulingPolicy(0, out _);

        Assert.Equal(0, set);
        Assert.Equal(c.SCHED_IDLE, seen);
        Assert.Equal(own, others); // a policy is one thread's on Linux
        Assert.Equal(c.ESRCH, calls.SetSchedulingPolicy(int.MaxValue, c.SCHED_IDLE));
    }
}
