using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using FdPasser.Processes;

namespace FdPasser.Platform;

internal sealed partial class ProcessCalls<TAbi>
{
    // The process table in files: proc(5) where the ABI file names it (PROC_ROOT, PROC_PID_STAT).
    public override ProcessStatus? ReadProcessStatus(int pid)
    {
        RequireProcessTable();
        string line;
        try
        {
            line = File.ReadAllText(ProcPaths.Of(TAbi.PROC_PID_STAT, pid)!);
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
        foreach (string entry in Directory.EnumerateDirectories(TAbi.PROC_ROOT!))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private static void RequireProcessTable()
    {
        if (TAbi.PROC_ROOT is null || TAbi.PROC_PID_STAT is null)
        {
            throw new PlatformNotSupportedException($"abi/{TAbi.Rid}.abi names no process table in files (PROC_ROOT, PROC_PID_STAT).");
        }
    }
}
