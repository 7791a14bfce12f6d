using System.IO;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// setpriv(1) for <c>--user</c>, found once when fdpass hold starts, by absolute path and never through PATH: a
/// service user who can write a directory on PATH would otherwise have a program of theirs run as root at the
/// next restart. Only a regular file owned by root that nobody else may write, in a directory of the same kind, is
/// taken.
/// </summary>
internal static class Setpriv
{
    private static readonly string[] Candidates = { "/usr/bin/setpriv", "/bin/setpriv" };

    private const uint GroupOrOtherWrite = 0b000_010_010;

    /// <exception cref="IOException">No trustworthy setpriv: the message names what was looked at and why it was not taken.</exception>
    public static string Find()
    {
        var refusals = new System.Collections.Generic.List<string>();
        foreach (string path in Candidates)
        {
            string? problem = Problem(path, wantDirectory: false) ?? Problem(Path.GetDirectoryName(path)!, wantDirectory: true);
            if (problem is null)
            {
                return path;
            }
            refusals.Add(problem);
        }
        throw new IOException($"--user needs setpriv(1) from util-linux, owned by root and writable by root only: {string.Join("; ", refusals)}");
    }

    private static string? Problem(string path, bool wantDirectory)
    {
        FileCalls files = CliTarget.Current.Files;
        PlatformConstants c = files.Constants;
        // lstat, except that a directory may be a symlink to one (/bin -> usr/bin where /usr is merged): it is then
        // resolved, and what it leads to checked.
        if (!files.TryGetOwnerAndMode(path, out uint owner, out uint mode, out int errno))
        {
            return $"'{path}': {files.ErrnoName(errno) ?? errno.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        if (wantDirectory && (mode & (uint)c.S_IFMT) == (uint)c.S_IFLNK)
        {
            string? target = new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            return target is null ? $"'{path}' is a symbolic link that leads nowhere" : Problem(target, wantDirectory: true);
        }
        uint type = mode & (uint)c.S_IFMT;
        return type != (uint)(wantDirectory ? c.S_IFDIR : c.S_IFREG) ? $"'{path}' is not a {(wantDirectory ? "directory" : "regular file")}"
            : owner != 0 ? $"'{path}' belongs to uid {owner}, not root"
            : (mode & GroupOrOtherWrite) != 0 ? $"'{path}' may be written by group or others (mode {System.Convert.ToString(mode & 0xFFF, 8)})"
            : null;
    }
}
