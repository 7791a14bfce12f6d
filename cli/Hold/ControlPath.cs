using System;
using System.IO;
using FdPasser.Interop;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Where the control socket is by default, and the check that nobody else can have put it there: its directory
/// must be the user's own and private, verified with lstat() (a symlink is refused, not followed).
/// </summary>
internal static class ControlPath
{
    private const uint GroupOrOther = 0b000_111_111;
    private const uint GroupOrOtherWrite = 0b000_010_010;

    /// <summary>
    /// /run/fdpass-hold.sock for root; else $XDG_RUNTIME_DIR/fdpass-hold.sock; else a private directory of the
    /// user's in /tmp, /tmp/fdpass-hold-UID/control.sock, never a name in /tmp itself that anybody may bind first.
    /// </summary>
    public static string Default(uint uid, string? runtimeDirectory)
    {
        if (uid == 0)
        {
            return "/run/fdpass-hold.sock";
        }
        return string.IsNullOrEmpty(runtimeDirectory)
            ? $"/tmp/fdpass-hold-{uid}/control.sock"
            : Path.Combine(runtimeDirectory, "fdpass-hold.sock");
    }

    /// <summary>The default for this process (its uid and XDG_RUNTIME_DIR).</summary>
    public static string Default(uint uid) => Default(uid, Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"));

    /// <summary>Before binding the default path: makes the private directory (mode 0700) where it is missing, then checks it.</summary>
    public static void PrepareDirectory(string controlPath, uint uid)
    {
        string directory = DirectoryOf(controlPath);
        if (!OperatingSystem.IsWindows() && uid != 0 && !Directory.Exists(directory) && directory.StartsWith("/tmp/fdpass-hold-", StringComparison.Ordinal))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        CheckDirectory(directory, uid);
    }

    /// <summary>
    /// The directory of the default path must be a directory (not a symlink) owned by <paramref name="uid"/>, with
    /// no permission for group or others; root's /run may be readable by others, but writable only by root.
    /// </summary>
    /// <exception cref="IOException">It is not: the message says what is wrong and what to do.</exception>
    public static void CheckDirectory(string directory, uint uid)
    {
        FileCalls files = CliTarget.Current.Files;
        if (!files.TryGetOwnerAndMode(directory, out uint owner, out uint mode, out int errno))
        {
            throw new IOException($"the control socket's directory '{directory}' cannot be checked: lstat failed with {files.ErrnoName(errno) ?? errno.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        PlatformConstants c = files.Constants;
        string? problem =
            (mode & (uint)c.S_IFMT) != (uint)c.S_IFDIR ? "is not a directory (a symbolic link is not followed)"
            : owner != uid ? $"belongs to uid {owner}, not to uid {uid}"
            : (mode & (uid == 0 ? GroupOrOtherWrite : GroupOrOther)) != 0 ? $"has mode {Convert.ToString(mode & 0xFFF, 8)}, open to {(uid == 0 ? "writing by " : "")}group or others"
            : null;
        if (problem is not null)
        {
            throw new IOException($"the control socket's directory '{directory}' {problem}: refused, since whoever else can write there can answer for fdpass hold; remove it, or give --control PATH in a directory of your own with mode 0700");
        }
    }

    public static string DirectoryOf(string controlPath) => Path.GetDirectoryName(Path.GetFullPath(controlPath)) ?? "/";
}
