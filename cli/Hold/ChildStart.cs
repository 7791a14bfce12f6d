using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using FdPasser.Handover;
using FdPasser.Processes;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Starts one generation of COMMAND: every listener, then every stored descriptor, at 3, 4, … under their names
/// (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID), NOTIFY_SOCKET at fdpass hold, the handover link after them
/// (FDPASS_HANDOVER_FD, outside LISTEN_FDS), and with <c>--user</c> through
/// setpriv(1), which changes user and group and execs COMMAND in the same process (so LISTEN_PID stays right).
/// </summary>
internal static class ChildStart
{
    /// <summary>The environment variable that tells a generation its number.</summary>
    public const string GenerationVariable = "FDPASS_GENERATION";

    public static ChildProcess Start(HoldOptions options, UserAccount? user, IReadOnlyList<BoundListener> listeners, DescriptorStore store, string notifySocket, int generation, SafeHandle? handoverLink = null)
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
            start = new ChildProcessOptions(options.Setpriv!, args);
        }
        ChildEnvironment.Apply(start.Environment, options, user);
        start.Environment["NOTIFY_SOCKET"] = notifySocket;
        // The number hold's log and --status give this start (every start counts, a rolled-back one too).
        start.Environment[GenerationVariable] = generation.ToString(CultureInfo.InvariantCulture);
        start.Environment.Remove(HandoverLink.EnvironmentVariable);
        start.OpenFilesSoftLimit = StartLimits.OpenFilesSoftLimit;
        start.StartIdle = options.StartIdle;
        foreach (BoundListener l in listeners)
        {
            start.PassDescriptor(l.Socket.SafeHandle, l.Spec.Name);
        }
        foreach (StoredDescriptor d in store.Entries)
        {
            start.PassDescriptor(d.Handle, d.Name);
        }
        if (handoverLink is not null)
        {
            start.PassExtraDescriptor(handoverLink, HandoverLink.EnvironmentVariable);
        }
        return ChildProcess.Start(start);
    }
}
