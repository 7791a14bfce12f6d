using System.Linq;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The settle time: a generation that says READY=1 and dies at once (a bad release) must not have replaced the one
/// before it, which would leave nothing serving and hold restarting the bad release. The previous ready generation
/// keeps serving beside the new one until the new one has been ready for <see cref="HoldTimings.SettleTime"/>.
/// </summary>
internal sealed partial class HoldMachine
{
    private void DrainOrSettle(Generation g)
    {
        Generation? previous = _generations.LastOrDefault(o => o != g && o.State == GenerationState.Ready && o.Number < g.Number);
        if (previous is null || _timings.SettleTime <= System.TimeSpan.Zero)
        {
            DrainBefore(g);
            return;
        }
        g.SettleAt = _now + _timings.SettleTime;
        Log($"{previous.Describe()} keeps serving until {g.Describe()} has been ready for {Seconds(_timings.SettleTime)}");
    }

    /// <summary>Every ready generation older than <paramref name="g"/> drains.</summary>
    private void DrainBefore(Generation g)
    {
        foreach (Generation old in _generations)
        {
            if (old != g && old.State == GenerationState.Ready && old.Number < g.Number)
            {
                Terminate(old, GenerationState.Draining);
                Log($"{old.Describe()} drains: sent {_timings.StopSignalName} (SIGKILL in {Seconds(_timings.StopTimeout)})");
            }
        }
    }

    private void SettleDue()
    {
        foreach (Generation g in _generations.ToArray())
        {
            if (g.State == GenerationState.Ready && g.SettleAt is { } at && _now >= at)
            {
                g.SettleAt = null;
                Log($"{g.Describe()} has been ready for {Seconds(_timings.SettleTime)}: it replaces the generation(s) before it");
                DrainBefore(g);
                ReloadsReady(g);
            }
        }
    }

    private string RolledBackWhileSettling(Generation g, string how) =>
        $"{g.Describe()} exited ({how}) within {Seconds(_timings.SettleTime)} of READY=1: rolled back; {KeepsServing()}";
}
