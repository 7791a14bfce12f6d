using System;
using System.IO;
using FdPasser.Interop;

namespace FdPasser.Processes;

/// <summary>Finds a program as execvp would, before the child exists, so a missing one is an error at start.</summary>
internal static class ProgramPath
{
    public static string Resolve(string fileName, string? path)
    {
        if (fileName.Contains('/'))
        {
            return IsExecutable(fileName) ? Path.GetFullPath(fileName)
                : throw new FileNotFoundException($"'{fileName}' does not exist or is not an executable file.", fileName);
        }
        foreach (string dir in (path ?? "/usr/local/bin:/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, fileName);
            if (IsExecutable(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }
        throw new FileNotFoundException($"'{fileName}' is not an executable file in any directory of PATH ({path}).", fileName);
    }

    private static bool IsExecutable(string candidate) =>
        AbiTargets.RunsOnDescribedOs && File.Exists(candidate) &&
        (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
