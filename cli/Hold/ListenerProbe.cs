using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using FdPasser.Interop;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// What the kernel shows, in /proc, about a generation's use of its listeners. A process waits on a listener when
/// an epoll instance it holds has the listener's socket registered: the epoll descriptor's /proc/PID/fdinfo lists
/// each registered file as a <c>tfd:</c> line with the file's inode (<c>ino:</c>, hex, Linux 3.8+). Event-loop
/// servers (asyncio, libuv, Twisted, lighttpd, nginx) register their listeners that way before they accept. A
/// thread blocked in accept() or poll() is not recognized: that is read from /proc/PID/task/TID/syscall, whose
/// numbers differ per architecture; such servers should say READY=1.
/// </summary>
internal static class ListenerProbe
{
    /// <summary>Whether /proc shows descriptors and their fdinfo (Linux); without it <c>--ready listening</c> cannot work.</summary>
    public static bool Available => Paths.PROC_PID_FD is not null && Host.OwnProcessPath(Paths.PROC_PID_FDINFO) is { } fdinfo && Directory.Exists(fdinfo);

    private static CliTarget Host => CliTarget.Current;

    private static PlatformConstants Paths => Host.Constants;

    // Only called where Available: the target names both directories.
    private static string FdDirectory(int pid) => Host.ProcessPath(Paths.PROC_PID_FD, pid)!;

    /// <summary>The socket inodes registered in an epoll instance of any of <paramref name="pids"/>.</summary>
    public static HashSet<ulong> Polled(IEnumerable<int> pids)
    {
        var inodes = new HashSet<ulong>();
        foreach (int pid in pids)
        {
            foreach ((string fd, string target) in Descriptors(pid))
            {
                if (target == "anon_inode:[eventpoll]")
                {
                    AddEpollTargets(pid, fd, inodes);
                }
            }
        }
        return inodes;
    }

    /// <summary>The socket inodes that any of <paramref name="pids"/> has open (<c>socket:[INODE]</c> in /proc/PID/fd).</summary>
    public static HashSet<ulong> Held(IEnumerable<int> pids)
    {
        var inodes = new HashSet<ulong>();
        foreach (int pid in pids)
        {
            foreach ((_, string target) in Descriptors(pid))
            {
                if (target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']') &&
                    ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
                {
                    inodes.Add(inode);
                }
            }
        }
        return inodes;
    }

    /// <summary>
    /// Whether this process may read the descriptors of <paramref name="pid"/>: not where it runs as another user
    /// without privilege, or has made itself non-dumpable (PR_SET_DUMPABLE), as setuid programs are.
    /// </summary>
    public static bool CanRead(int pid)
    {
        try
        {
            return Host.ProcessPath(Paths.PROC_PID_FD, pid) is { } fds && Directory.GetFiles(fds) is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A process and every process below it (a launcher's children, a server's workers).</summary>
    public static IEnumerable<int> Tree(int pid) => ProcessLineage.Below(pid).Prepend(pid);

    /// <summary>The process's descriptors and what they refer to; none where it is gone or not ours to read.</summary>
    private static IEnumerable<(string Fd, string Target)> Descriptors(int pid)
    {
        string[] entries;
        try
        {
            entries = Directory.GetFiles(FdDirectory(pid));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (string entry in entries)
        {
            string? target;
            try
            {
                target = new FileInfo(entry).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // closed meanwhile
            }
            if (target is not null)
            {
                yield return (Path.GetFileName(entry), target);
            }
        }
    }

    private static void AddEpollTargets(int pid, string fd, HashSet<ulong> inodes)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Host.ProcessPath(Paths.PROC_PID_FDINFO, pid) + "/" + fd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string line in lines.Where(l => l.StartsWith("tfd:", StringComparison.Ordinal)))
        {
            int at = line.IndexOf(" ino:", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            ReadOnlySpan<char> hex = line.AsSpan(at + 5);
            int end = hex.IndexOf(' ');
            if (ulong.TryParse(end < 0 ? hex : hex[..end], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong inode))
            {
                inodes.Add(inode);
            }
        }
    }
}
