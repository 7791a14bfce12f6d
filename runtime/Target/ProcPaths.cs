using System.Globalization;

namespace FdPasser.Platform;

/// <summary>
/// Fills the placeholders of a path from the target's ABI file (<c>path PROC_PID_STAT /proc/{pid}/stat</c>):
/// <c>{pid}</c> with a process id or <c>self</c>, <c>{fd}</c> with a descriptor number. A target without the
/// file has null, which stays null.
/// </summary>
internal static class ProcPaths
{
    public const string Self = "self";

    public static string? Of(string? template, int pid) => Of(template, pid.ToString(CultureInfo.InvariantCulture));

    public static string? Of(string? template, string pid) => template?.Replace("{pid}", pid);

    /// <summary>An entry of a per-process directory (<c>PROC_PID_FDINFO</c>, <c>PROC_PID_FD</c>) for descriptor <paramref name="fd"/>.</summary>
    public static string? Entry(string? directoryTemplate, string pid, int fd) =>
        Of(directoryTemplate, pid) is { } directory ? directory + "/" + fd.ToString(CultureInfo.InvariantCulture) : null;
}
