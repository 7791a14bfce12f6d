using System;
using System.Collections.Generic;
using System.Linq;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The outcome of every reload, for <c>fdpass hold --reload --wait</c> and <c>--status</c>: a reload is tied to
/// the generation started for it (at once, or when a queued reload or a restart starts the newest COMMAND) and
/// ends when that generation is ready or is rolled back.
/// </summary>
internal sealed partial class HoldMachine
{
    private sealed class ReloadRequest(int? waiter, DateTime? waitUntil, TimeSpan? waitFor)
    {
        public int? Waiter { get; set; } = waiter;

        public DateTime? WaitUntil { get; } = waitUntil;

        public TimeSpan? WaitFor { get; } = waitFor;

        /// <summary>The generation started for it; null while it is queued.</summary>
        public int? Generation { get; set; }
    }

    private readonly List<ReloadRequest> _reloads = new();

    /// <summary>How the last reload that has ended ended; null before the first.</summary>
    public ReloadOutcome? LastReload { get; private set; }

    /// <summary>The generation of the newest reload not yet ended (null where none is pending, 0 while it is queued).</summary>
    public int? PendingReload => _reloads.Count == 0 ? null : _reloads[^1].Generation ?? 0;

    private DateTime? NextWaitDeadline => _reloads.Where(r => r.Waiter is not null).Select(r => r.WaitUntil).Min();

    /// <summary>Handles a reload: tracked before the reload itself runs, so the generation started for it is tied to it.</summary>
    private void OnReloadEvent(HoldEvent.Reload r)
    {
        var request = new ReloadRequest(r.Waiter, r.WaitFor is { } w ? _now + w : null, r.WaitFor);
        _reloads.Add(request);
        OnReload(r.Source);
        if (request.Generation is null && _stopping)
        {
            Finish(request, new ReloadOutcome(null, null, false, $"reload ({r.Source}) refused: fdpass hold is stopping", _now));
        }
    }

    /// <summary>A new generation starts: every reload not yet tied to one is its (a queued reload, or the restart that replaced it).</summary>
    private void TieReloads(int generation)
    {
        foreach (ReloadRequest r in _reloads)
        {
            r.Generation ??= generation;
        }
    }

    /// <summary>
    /// Generation <paramref name="g"/> is ready: its reloads succeeded. (A settle time — a generation that dies
    /// within it of READY=1 rolled back — would call this once the settle time has passed.)
    /// </summary>
    private void ReloadsReady(Generation g) =>
        EndReloads(g.Number, new ReloadOutcome(g.Number, g.MainPid, true, $"generation {g.Number} is ready: pid {g.MainPid}", _now));

    /// <summary>The generation started for a reload was rolled back, could not start, or fdpass hold stopped first.</summary>
    private void ReloadsFailed(int generation, int? pid, string why) =>
        EndReloads(generation, new ReloadOutcome(generation, pid, false, why, _now));

    private void EndReloads(int generation, ReloadOutcome outcome)
    {
        foreach (ReloadRequest r in _reloads.Where(r => r.Generation == generation).ToList())
        {
            Finish(r, outcome);
        }
    }

    /// <summary>Every reload not ended when fdpass hold stops ends with it.</summary>
    private void ReloadsStopped(string source)
    {
        foreach (ReloadRequest r in _reloads.ToList())
        {
            string which = r.Generation is { } n ? $"generation {n} was not ready" : "the reload was queued";
            Finish(r, new ReloadOutcome(r.Generation, null, false, $"{which} when fdpass hold was asked to stop ({source})", _now));
        }
    }

    private void Finish(ReloadRequest r, ReloadOutcome outcome)
    {
        _reloads.Remove(r);
        LastReload = outcome;
        if (r.Waiter is { } waiter)
        {
            _actions.Add(new HoldAction.ReloadAnswered(waiter, outcome));
        }
    }

    /// <summary>A waiter whose --timeout passed is answered; its reload goes on and ends as the machine decides.</summary>
    private void TickReloadWaits()
    {
        foreach (ReloadRequest r in _reloads)
        {
            if (r.Waiter is { } waiter && r.WaitUntil is { } until && _now >= until)
            {
                r.Waiter = null;
                Generation? g = r.Generation is { } n ? _generations.Find(x => x.Number == n) : null;
                string which = g is not null ? g.Describe() : r.Generation is { } m ? $"generation {m}" : "the queued reload";
                string text = $"{which} was not ready within {Seconds(r.WaitFor!.Value)} (--timeout); it goes on starting (see --status)";
                _actions.Add(new HoldAction.ReloadAnswered(waiter, new ReloadOutcome(r.Generation, g?.MainPid, false, text, _now)));
            }
        }
    }
}
