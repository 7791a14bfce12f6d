using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Platform;
using FdPasser.Processes;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// fdpass hold is a child subreaper (PR_SET_CHILD_SUBREAPER): a process of a generation whose parent exits (a
/// daemon that double-forks) becomes hold's child instead of init's, so it stays below hold, is reaped by it, and is
/// stopped with its generation instead of accepting on the listeners after hold has gone. Such an orphan belongs to
/// the generation it was last seen below (the processes below hold are looked at every <see cref="WatchInterval"/>);
/// one re-parented before it was ever seen belongs to no known generation and is stopped when hold stops.
/// </summary>
internal sealed partial class HoldRunner
{
    /// <summary>Processes below a generation's first process, by pid, with that generation's number, from the last look.</summary>
    private readonly Dictionary<int, int> _seenBelow = new();

    /// <summary>Orphans re-parented to hold, held by pidfd, with their generation's number (0: not known).</summary>
    private readonly Dictionary<int, (ProcessHandle Handle, int Generation)> _orphans = new();

    private bool _subreaper;
    private bool _orphansTold;

    /// <summary>The generation number of an orphan already sent SIGKILL, until it is reaped.</summary>
    private const int Killed = -1;

    private void BecomeSubreaper()
    {
        CliTarget native = CliTarget.Current;
        int errno = native.Processes.SetChildSubreaper();
        _subreaper = errno == 0;
        if (!_subreaper)
        {
            _log.Write($"prctl(PR_SET_CHILD_SUBREAPER) failed: {native.ErrnoName(errno) ?? errno.ToString(System.Globalization.CultureInfo.InvariantCulture)}; " +
                "a process of a generation whose parent exits becomes init's and is not stopped with it");
        }
    }

    /// <summary>Reaps orphans that have exited, takes hold of new ones, and notes which generation each process is below.</summary>
    private void LookAtOrphans()
    {
        if (!_subreaper)
        {
            return;
        }
        CliTarget native = CliTarget.Current;
        int self = Environment.ProcessId;
        var generations = _machine.Generations.ToDictionary(g => g.Pid, g => g.Number);
        // One read of the process table; the chains are walked in it (every 250 ms, so it must stay cheap).
        var table = new Dictionary<int, ProcessStatus>();
        foreach (int pid in native.Processes.ProcessIds())
        {
            if (native.Processes.ReadProcessStatus(pid) is { } status)
            {
                table[pid] = status;
            }
        }
        var alive = new HashSet<int>();
        foreach ((int pid, ProcessStatus status) in table)
        {
            if (pid == self || _children.ContainsKey(pid))
            {
                continue;
            }
            if (status.ParentPid == self)
            {
                Orphan(pid, status);
                continue;
            }
            int generation = 0;
            int parent = status.ParentPid;
            for (int depth = 0; parent > 1 && depth < 64 && generation == 0; depth++)
            {
                generation = generations.GetValueOrDefault(parent);
                parent = table.TryGetValue(parent, out ProcessStatus up) ? up.ParentPid : 0;
            }
            if (generation > 0 && !status.HasExited)
            {
                _seenBelow[pid] = generation;
                alive.Add(pid);
            }
        }
        foreach (int gone in _seenBelow.Keys.Where(p => !alive.Contains(p) && !_orphans.ContainsKey(p)).ToArray())
        {
            _seenBelow.Remove(gone);
        }
    }

    private void Orphan(int pid, ProcessStatus status)
    {
        if (status.HasExited)
        {
            // Our zombie: its number cannot be reused before this reaps it.
            CliTarget.Current.Processes.TryReap(pid, out _, out _);
            if (_orphans.Remove(pid, out var known))
            {
                known.Handle.Dispose();
            }
            _seenBelow.Remove(pid);
            return;
        }
        if (_orphans.ContainsKey(pid) || ProcessHandle.Open(pid) is not { } handle)
        {
            return;
        }
        int generation = _seenBelow.TryGetValue(pid, out int g) ? g : 0;
        _orphans[pid] = (handle, generation);
        _log.Write($"pid {pid} was orphaned and is now fdpass hold's child; " +
            (generation > 0 ? $"it is stopped with generation {generation}" : "whose generation it is was not seen, so it is stopped when fdpass hold stops"));
        if (generation > 0 && !_machine.Generations.Any(x => x.Number == generation))
        {
            KillOrphans(o => o == generation, $"generation {generation} has ended");
        }
    }

    /// <summary>
    /// After an event: a stop sends the stop signal to every orphan with the generations; the orphans of generations that
    /// have ended are killed, as what was left of their generation was.
    /// </summary>
    private void AfterOrphanEvent(HoldEvent e)
    {
        if (_orphans.Count == 0)
        {
            return;
        }
        if (e is HoldEvent.Stop && !_orphansTold)
        {
            _orphansTold = true;
            foreach ((int pid, (ProcessHandle handle, _)) in _orphans)
            {
                try
                {
                    handle.Signal(HoldSignal.Term, _options.StopSignal);
                }
                catch (FdPassingException x)
                {
                    _log.Write($"could not signal orphan pid {pid}: {OneLine.Of(x)}");
                }
            }
            _log.Write($"sent {_options.Timings.StopSignalName} to {_orphans.Count} orphan(s) of the generations: {string.Join(", ", _orphans.Keys)}");
        }
        var running = _machine.Generations.Select(g => g.Number).ToHashSet();
        KillOrphans(g => g > 0 && !running.Contains(g), "their generation has ended");
    }

    /// <summary>Before hold exits: every process still below it (orphans, and anything below them) gets SIGKILL and is reaped.</summary>
    private void KillEverythingBelow()
    {
        if (!_subreaper)
        {
            return;
        }
        LookAtOrphans();
        KillOrphans(_ => true, "fdpass hold stops");
        int self = Environment.ProcessId;
        List<int> below = ProcessLineage.Below(self).Where(p => !_children.ContainsKey(p)).ToList();
        foreach (int pid in below)
        {
            SignalNames.SendIfAlive(pid, HoldSignal.Kill);
        }
        if (below.Count > 0)
        {
            _log.Write($"sent SIGKILL to {below.Count} process(es) still below fdpass hold: {string.Join(", ", below)}");
        }
        // Reap what has become our zombie, for a short while: whatever is left is reaped by init once hold exits.
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < until && ProcessLineage.Below(self).Any(p => !_children.ContainsKey(p)))
        {
            LookAtOrphans();
            System.Threading.Thread.Sleep(20);
        }
    }

    private void KillOrphans(Func<int, bool> whose, string why)
    {
        var killed = new List<int>();
        foreach ((int pid, (ProcessHandle handle, int generation)) in _orphans.ToArray())
        {
            if (generation == Killed || !whose(generation))
            {
                continue;
            }
            try
            {
                if (handle.Signal(HoldSignal.Kill))
                {
                    killed.Add(pid);
                }
                _orphans[pid] = (handle, Killed);
            }
            catch (FdPassingException e)
            {
                _log.Write($"could not signal orphan pid {pid}: {OneLine.Of(e)}");
            }
            // Still our child: the next look reaps it.
        }
        if (killed.Count > 0)
        {
            _log.Write($"sent SIGKILL to {killed.Count} orphan(s), as {why}: {string.Join(", ", killed)}");
        }
    }
}
