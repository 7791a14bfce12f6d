using System;
using System.Threading;
using FdPasser.Cli.CommandLine;
using FdPasser.Cli.Commands;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>--start-priority idle|inherit</c> and <c>--start-priority-limit</c>: with <c>idle</c>, every generation starts
/// under SCHED_IDLE and gets fdpass hold's own policy back at READY=1 (<see cref="HoldMachine"/>,
/// <see cref="HoldAction.RestorePriority"/>). Leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE of at least 20
/// minus the nice value (the kernel's <c>is_nice_reduction</c>/<c>can_nice</c>), so it is tried once at start on a
/// thread of its own: a holder that could not restore a generation refuses to start rather than leave one idle.
/// </summary>
internal static class StartPriority
{
    public static readonly string[] Valued = ["--start-priority", "--start-priority-limit"];

    /// <summary>The policy to restore (fdpass hold's own) and the limit; null for <c>inherit</c> (the default).</summary>
    public static (int Policy, TimeSpan Limit)? Parse(ArgumentReader a)
    {
        switch (a.Single("--start-priority"))
        {
            case null or "inherit":
                return a.Single("--start-priority-limit") is null ? null : throw a.Usage("--start-priority-limit goes with --start-priority idle");
            case "idle":
                TimeSpan limit = HoldCommand.Seconds(a, "--start-priority-limit", 2, allowZero: false)!.Value;
                return (Check(a), limit);
            case { } other:
                throw a.Usage($"--start-priority '{other}' is not idle or inherit");
        }
    }

    /// <summary>fdpass hold's own policy, once it has gone to SCHED_IDLE and back on a thread of its own.</summary>
    private static int Check(ArgumentReader a)
    {
        CliTarget target = CliTarget.Current;
        try
        {
            target.Processes.RequireSchedulingPolicy();
        }
        catch (PlatformNotSupportedException e)
        {
            throw a.Usage($"--start-priority idle: {e.Message}");
        }
        int own = target.Processes.GetSchedulingPolicy(0, out int errno);
        if (own < 0)
        {
            throw a.Usage($"--start-priority idle: sched_getscheduler failed with {Endpoint.ErrnoName(errno)}");
        }
        if (own != target.Constants.SCHED_OTHER && own != target.Constants.SCHED_BATCH)
        {
            throw a.Usage($"--start-priority idle: fdpass hold runs under {PolicyName(own)}, not SCHED_OTHER or SCHED_BATCH; " +
                "its generations would get that back at READY=1: refused");
        }
        int toIdle = -1, back = -1;
        var probe = new Thread(() =>
        {
            toIdle = target.Processes.SetSchedulingPolicy(0, target.Constants.SCHED_IDLE);
            back = toIdle == 0 ? target.Processes.SetSchedulingPolicy(0, own) : -1;
        })
        {
            IsBackground = true,
            Name = "start-priority check",
        };
        probe.Start();
        probe.Join();
        if (toIdle != 0)
        {
            throw a.Usage($"--start-priority idle: sched_setscheduler to SCHED_IDLE failed with {Endpoint.ErrnoName(toIdle)}");
        }
        if (back != 0)
        {
            throw a.Usage($"--start-priority idle: sched_setscheduler from SCHED_IDLE back to {PolicyName(own)} failed with {Endpoint.ErrnoName(back)}, " +
                "so a generation would stay at idle priority: leaving SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE of at least " +
                "20 minus the nice value ('ulimit -e 20', systemd's LimitNICE=20)");
        }
        return own;
    }

    public static string PolicyName(int policy)
    {
        var c = CliTarget.Current.Constants;
        return policy == c.SCHED_OTHER ? "SCHED_OTHER" : policy == c.SCHED_BATCH ? "SCHED_BATCH" : policy == c.SCHED_IDLE ? "SCHED_IDLE"
            : policy == c.SCHED_FIFO ? "SCHED_FIFO" : policy == c.SCHED_RR ? "SCHED_RR"
            : "scheduling policy " + policy.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
