using System.Globalization;
using System.IO;

namespace FdPasser.TestSupport;

/// <summary>The suites' reader of /proc/PID/stat and /proc/PID/task/TID/stat (proc(5), Linux).</summary>
internal static class ProcStat
{
    /// <summary>
    /// The fields after "pid (comm) ": the state is at index 0, the parent at 1, field N of proc(5) at N - 3. The
    /// command name may hold spaces and parentheses, so the fields count from its last ')'.
    /// </summary>
    public static string[] FieldsAfterName(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    /// <summary>The parent of <paramref name="pid"/>; throws <see cref="IOException"/> where it is gone.</summary>
    public static int ParentOf(int pid) =>
        int.Parse(FieldsAfterName(File.ReadAllText($"/proc/{pid}/stat"))[1], CultureInfo.InvariantCulture);
}
