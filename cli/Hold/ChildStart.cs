using System.Collections.Generic;
using System.Globalization;
using FdPasser.Processes;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Starts one generation of COMMAND: every listener, then every stored descriptor, at 3, 4, … under their names
/// (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID), NOTIFY_SOCKET at fdpass hold, and with <c>--user</c> through
/// setpriv(1), which changes user and group and execs COMMAND in the same process (so LISTEN_PID stays right).
/// </summary>
internal static class ChildStart
{
    public static ChildProcess Start(HoldOptions options, UserAccount? user, IReadOnlyList<BoundListener> listeners, DescriptorStore store, string notifySocket)
    {
        ChildProcessOptions start;
        if (user is null)
        {
            start = new ChildProcessOptions(options.Command, options.Arguments);
        }
        else
        {
            var args = new List<string>
            {
                "--reuid=" + user.Uid.ToString(CultureInfo.InvariantCulture),
                "--regid=" + user.Gid.ToString(CultureInfo.InvariantCulture),
                "--init-groups",
                "--",
                options.Command,
            };
            args.AddRange(options.Arguments);
            start = new ChildProcessOptions("setpriv", args);
            start.Environment["HOME"] = user.Home;
            start.Environment["USER"] = user.Name;
            start.Environment["LOGNAME"] = user.Name;
        }
        start.Environment["NOTIFY_SOCKET"] = notifySocket;
        start.OpenFilesSoftLimit = StartLimits.OpenFilesSoftLimit;
        foreach (BoundListener l in listeners)
        {
            start.PassDescriptor(l.Socket.SafeHandle, l.Spec.Name);
        }
        foreach (StoredDescriptor d in store.Entries)
        {
            start.PassDescriptor(d.Handle, d.Name);
        }
        return ChildProcess.Start(start);
    }
}
