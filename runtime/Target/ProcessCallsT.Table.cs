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
        return NumberedEntries(TAbi.PROC_ROOT!);
    }

    public override IReadOnlyList<int> ThreadIds(int pid)
    {
        if (ProcPaths.Of(TAbi.PROC_PID_TASK, pid) is not { } tasks)
        {
            return Array.Empty<int>();
        }
        try
        {
            return NumberedEntries(tasks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<int>(); // gone, or hidden by procfs's hidepid=
        }
    }

    // A process table's directories named by number: the processes of PROC_ROOT, the threads of PROC_PID_TASK.
    private static List<int> NumberedEntries(string directory)
    {
        var ids = new List<int>();
        foreach (string entry in Directory.EnumerateDirectories(directory))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                ids.Add(id);
            }
        }
        return ids;
    }

    private static void RequireProcessTable()
    {
        if (TAbi.PROC_ROOT is null || TAbi.PROC_PID_STAT is null)
        {
            throw new PlatformNotSupportedException($"abi/{TAbi.Rid}.abi names no process table in files (PROC_ROOT, PROC_PID_STAT).");
        }
    }
}
