using System;
using System.IO;
using FdPasser.Platform;
using FdPasser.Processes;

namespace FdPasser.Tests;

/// <summary>
/// getppid() and getrlimit(RLIMIT_NOFILE), declared in the ABI files, agree with what the kernel's process table
/// shows through the target's PROC_* paths.
/// </summary>
public sealed class ProcessIdentityTests
{
    private static string? ProcStat => ProcPaths.Of(Target.Current.Constants.PROC_PID_STAT, ProcPaths.Self);

    [Fact]
    public void The_parent_from_getppid_is_the_one_in_the_process_table()
    {
        string? stat = ProcStat;
        if (stat is null)
        {
            Assert.Skip("this target's ABI file names no PROC_PID_STAT to compare with");
        }
        Assert.True(ProcessStatus.TryParse(File.ReadAllText(stat!), out ProcessStatus self));
        Assert.Equal(Environment.ProcessId, self.Pid);
        Assert.Equal(self.ParentPid, Target.Current.Processes.ParentProcessId());
    }

    [Fact]
    public void The_open_files_limit_from_getrlimit_is_the_one_in_the_limits_file()
    {
        (long Soft, long Hard)? own = OpenFilesLimit.Own();
        Assert.NotNull(own);
        Assert.True(own.Value.Soft > 0 && own.Value.Soft <= own.Value.Hard, $"soft {own.Value.Soft}, hard {own.Value.Hard}");
        if (Target.Current.Constants.PROC_PID_LIMITS is null)
        {
            Assert.Skip("this target's ABI file names no PROC_PID_LIMITS to compare with");
        }
        Assert.Equal(own, OpenFilesLimit.Read(Environment.ProcessId));
    }

    [Theory]
    [InlineData("/proc/{pid}/stat", "self", "/proc/self/stat")]
    [InlineData("/proc/{pid}/limits", "42", "/proc/42/limits")]
    [InlineData(null, "42", null)]
    public void A_path_template_takes_the_process(string? template, string pid, string? expected)
    {
        Assert.Equal(expected, ProcPaths.Of(template, pid));
    }

    [Fact]
    public void A_descriptor_entry_is_under_the_process_directory()
    {
        Assert.Equal("/proc/self/fdinfo/7", ProcPaths.Entry("/proc/{pid}/fdinfo", ProcPaths.Self, 7));
        Assert.Null(ProcPaths.Entry(null, ProcPaths.Self, 7));
    }
}
