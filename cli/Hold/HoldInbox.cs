using System;
using System.Collections.Generic;

namespace FdPasser.Cli.Hold;

/// <summary>
/// How events reach <see cref="HoldMachine"/> on the loop's thread, one at a time: an event that arises while a
/// batch of actions is being performed (a spawn that succeeded or failed, say) is posted here and fed once the
/// batch is done, before anything else the loop has waiting, so the machine is never fed from inside its own batch.
/// </summary>
internal sealed class HoldInbox(
    Func<HoldEvent, IReadOnlyList<HoldAction>> handle, Action<HoldAction> perform, Action<HoldEvent> afterEvent)
{
    private readonly Queue<HoldEvent> _posted = new();
    private bool _performing;

    /// <summary>Queues <paramref name="e"/> to be fed after the batch being performed.</summary>
    public void Post(HoldEvent e) => _posted.Enqueue(e);

    /// <summary>
    /// Feeds <paramref name="e"/>, then whatever performing its actions posted; returns every action performed, in
    /// order. Asked while a batch is being performed, it only posts <paramref name="e"/> (and returns nothing).
    /// </summary>
    public IReadOnlyList<HoldAction> Feed(HoldEvent e)
    {
        Post(e);
        return _performing ? Array.Empty<HoldAction>() : Perform(Array.Empty<HoldAction>());
    }

    /// <summary>Performs <paramref name="batch"/> (from <see cref="HoldMachine.Start"/>), then feeds what it posted.</summary>
    public IReadOnlyList<HoldAction> Perform(IReadOnlyList<HoldAction> batch)
    {
        if (_performing)
        {
            throw new InvalidOperationException("a batch of the machine's actions was performed from inside another");
        }
        var all = new List<HoldAction>();
        PerformBatch(batch, all);
        while (_posted.TryDequeue(out HoldEvent? next))
        {
            PerformBatch(handle(next), all);
            afterEvent(next);
        }
        return all;
    }

    private void PerformBatch(IReadOnlyList<HoldAction> batch, List<HoldAction> all)
    {
        _performing = true;
        try
        {
            foreach (HoldAction action in batch)
            {
                all.Add(action);
                perform(action);
            }
        }
        finally
        {
            _performing = false;
        }
    }
}
