using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Processes;

namespace FdPasser.Hosting;

/// <summary>
/// The cli's one door to the running target (<c>fdpass</c> sees the library's internals through InternalsVisibleTo,
/// and uses only this of them for anything per-target): the constants, errno names and errors, the concerns it
/// needs (files and descriptors, processes, anonymous memory, the socket transport), and the process table as the
/// ABI file names it. It has no target selection, no STREAMS and no notification socket of its own; the cli gets
/// those through the public API. <c>CliFacadeTests</c> fails where a cli file names any other type of
/// <c>FdPasser.Platform</c>, <c>FdPasser.Interop</c>, <c>FdPasser.Bsd</c> or <c>FdPasser.Streams</c>.
/// </summary>
internal sealed class CliTarget
{
    private CliTarget()
    {
    }

    public static CliTarget Current { get; } = new();

    private static Target Target => Target.Current;

    /// <summary>The target's constants, errno values and paths, as generated from its ABI file.</summary>
    public PlatformConstants Constants => Target.Constants;

    /// <summary>The symbolic name of an errno value (ENOENT), or null where the ABI file does not name it.</summary>
    public string? ErrnoName(int errno) => Target.ErrnoName(errno);

    /// <summary>The error of a failed call: the syscall, the errno and its name, and what was being done.</summary>
    public FdPassingException Error(string syscall, int errno, string context) => Target.Error(syscall, errno, context);

    public FileCalls Files => Target.Files;

    public ProcessCalls Processes => Target.Processes;

    public MemoryCalls Memory => Target.Memory;

    public SocketTransport Sockets => Target.Sockets;

    /// <summary>A path of the process table for <paramref name="pid"/> (<see cref="PlatformConstants"/>' PROC_*); null where the target has no such file.</summary>
    public string? ProcessPath(string? template, int pid) => ProcPaths.Of(template, pid);

    /// <summary>As <see cref="ProcessPath(string?, int)"/> for this process (<c>self</c>).</summary>
    public string? OwnProcessPath(string? template) => ProcPaths.Of(template, ProcPaths.Self);

    /// <summary>This process's RLIMIT_NOFILE (getrlimit); "unlimited" is <see cref="long.MaxValue"/>.</summary>
    public (long Soft, long Hard)? OpenFilesLimit() => Processes.OpenFilesLimit();

    /// <summary>Another process's RLIMIT_NOFILE, from the target's PROC_PID_LIMITS file; null where unreadable.</summary>
    public (long Soft, long Hard)? OpenFilesLimitOf(int pid) => FdPasser.Processes.OpenFilesLimit.Read(pid);
}
