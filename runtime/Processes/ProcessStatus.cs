using System;
using System.Globalization;

namespace FdPasser.Processes;

/// <summary>A process's run state and parent, as the kernel's process table shows them.</summary>
internal readonly record struct ProcessStatus(int Pid, char State, int ParentPid)
{
    /// <summary>It has exited (a zombie): only its parent has yet to reap it, and its parent is still known.</summary>
    public bool HasExited => State is 'Z' or 'X';

    /// <summary>
    /// Parses proc(5)'s <c>/proc/PID/stat</c>, "pid (comm) state ppid …". comm is the program's name as it chose
    /// it, spaces and parentheses included, so it ends at the last ')'.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> line, out ProcessStatus status)
    {
        status = default;
        int open = line.IndexOf(" (", StringComparison.Ordinal);
        int close = line.LastIndexOf(')');
        if (open <= 0 || close < open || !int.TryParse(line[..open], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return false;
        }
        ReadOnlySpan<char> rest = line[(close + 1)..];
        // " S 1234 …": the state is one character, then the parent's pid.
        if (rest.Length < 4 || rest[0] != ' ' || rest[2] != ' ')
        {
            return false;
        }
        ReadOnlySpan<char> after = rest[3..];
        int end = after.IndexOf(' ');
        if (!int.TryParse(end < 0 ? after : after[..end], NumberStyles.None, CultureInfo.InvariantCulture, out int parent))
        {
            return false;
        }
        status = new ProcessStatus(pid, rest[1], parent);
        return true;
    }
}
