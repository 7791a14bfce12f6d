using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Commands;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <see cref="HoldAction.RestorePriority"/>: every thread under SCHED_IDLE of the generation's processes (its first
/// process, its main pid and every process below them, as <see cref="HoldAction.KillTree"/> finds them) gets fdpass
/// hold's own policy back. On Linux a policy is a thread's, and a new thread takes its creator's: a thread created
/// by one not yet restored is idle still, so passes repeat until one finds no idle thread (at most
/// <see cref="MaxPriorityPasses"/>). Threads and processes that end meanwhile (ESRCH) are passed over.
/// </summary>
internal sealed partial class HoldRunner
{
    private const int MaxPriorityPasses = 20;

    private void RestorePriority(HoldAction.RestorePriority r)
    {
        CliTarget target = CliTarget.Current;
        int idle = target.Constants.SCHED_IDLE;
        string who = (_machine.Find(r.Pid) ?? _machine.Find(r.MainPid))?.Describe() ?? $"pid {r.Pid}";
        var threads = new HashSet<int>();
        var processes = new HashSet<int>();
        string? failure = null;
        int restore = _options.StartPolicy!.Value;
        for (int pass = 1; pass <= MaxPriorityPasses; pass++)
        {
            int found = 0;
            foreach (int pid in GenerationProcesses(r))
            {
                foreach (int tid in target.Processes.ThreadIds(pid))
                {
                    if (target.Processes.GetSchedulingPolicy(tid, out _) != idle)
                    {
                        continue; // not idle, or gone
                    }
                    found++;
                    int errno = target.Processes.SetSchedulingPolicy(tid, restore);
                    if (errno == 0)
                    {
                        threads.Add(tid);
                        processes.Add(pid);
                    }
                    else if (errno != target.Constants.ESRCH)
                    {
                        failure = $"thread {tid} of pid {pid}: sched_setscheduler failed with {Endpoint.ErrnoName(errno)}";
                    }
                }
            }
            if (found == 0)
            {
                _log.Write($"{who}: scheduling policy restored to {StartPriority.PolicyName(restore)} on {threads.Count} thread(s) of {processes.Count} process(es)");
                return;
            }
        }
        _log.Write($"{who}: gave up restoring the scheduling policy after {MaxPriorityPasses} passes, threads under SCHED_IDLE remain" +
            (failure is null ? " (created faster than restored)" : $" ({failure})"));
    }

    private static IEnumerable<int> GenerationProcesses(HoldAction.RestorePriority r)
    {
        int[] roots = r.Pid == r.MainPid ? [r.Pid] : [r.Pid, r.MainPid];
        return roots.Concat(ProcessLineage.Below(roots));
    }
}
