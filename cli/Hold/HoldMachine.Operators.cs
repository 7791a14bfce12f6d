using System;
using System.Collections.Generic;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Readiness without the notify protocol (<c>--ready listening</c>), the start limit (systemd's StartLimitBurst= and
/// StartLimitIntervalSec=), and the hint for a first generation that exits before it is ready.
/// </summary>
internal sealed partial class HoldMachine
{
    private readonly Queue<DateTime> _failedStarts = new();
    private int _exitCode;
    private bool _everReady;
    private bool _hinted;

    /// <summary>The runner saw a process of the generation wait on every listener: as READY=1 from it.</summary>
    private void OnListening(HoldEvent.Listening l)
    {
        Generation? g = _generations.Find(x => x.Number == l.Generation);
        if (g is null || g.State != GenerationState.Starting)
        {
            return;
        }
        Log($"{g.Describe()} waits on every listener ({l.How}): ready (--ready listening)");
        OnReady(g);
    }

    /// <summary>
    /// Nothing serves and a restart is due: where that makes more than the burst of failed starts within the
    /// interval, fdpass hold stops instead, and exits 1 once every generation has ended.
    /// </summary>
    private bool StartLimitHit()
    {
        if (_timings.StartLimitBurst <= 0)
        {
            return false;
        }
        _failedStarts.Enqueue(_now);
        while (_failedStarts.Count > 0 && _now - _failedStarts.Peek() > _timings.StartLimitInterval)
        {
            _failedStarts.Dequeue();
        }
        if (_failedStarts.Count < _timings.StartLimitBurst)
        {
            return false;
        }
        Log($"start limit hit: {_failedStarts.Count} starts failed within {Seconds(_timings.StartLimitInterval)} with no generation serving " +
            $"(--start-limit-burst {_timings.StartLimitBurst}, --start-limit-interval {_timings.StartLimitInterval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}): " +
            "stopping; fdpass hold exits 1");
        _exitCode = 1;
        OnStop("start limit");
        return true;
    }

    private void NoteReady() => _everReady = true;

    /// <summary>
    /// No generation has ever been ready and one exited before it was: the likeliest cause is a server that binds
    /// its port itself (EADDRINUSE: fdpass hold has bound it) or finds no LISTEN_FDS it understands.
    /// </summary>
    private void HintAtFirstFailure()
    {
        if (_everReady || _hinted)
        {
            return;
        }
        _hinted = true;
        Log("hint: no generation has been ready yet. A server that binds its own port exits with EADDRINUSE " +
            "(\"Address already in use\") under fdpass hold, which has bound it: it must take its listener from " +
            "LISTEN_FDS (descriptor 3 on; e.g. uvicorn --fd 3, gunicorn with no --bind). One that never says READY=1 " +
            "needs --ready listening. See docs/hold.md");
    }
}
