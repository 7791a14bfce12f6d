using System.Collections.Generic;
using System.Linq;

namespace FdPasser.Cli.Hold;

/// <summary>The machine handed across <c>fdpass hold --upgrade</c>: its generations and numbering, taken up where they were.</summary>
internal sealed partial class HoldMachine
{
    /// <summary>The number the last generation started was given.</summary>
    public int LastNumber => _lastNumber;

    /// <summary>True where an upgrade would drop something in flight: a generation starting, a restart or reload waiting.</summary>
    public string? Unsettled =>
        _stopping ? "fdpass hold is stopping"
        : _spawning is { } n ? $"generation {n} is being started"
        : Starting is { } g ? $"{g.Describe()} is still starting"
        : _restartAt is not null ? "a restart is waiting"
        : _reloadQueued ? "a reload is queued"
        : null;

    /// <summary>Takes up the generations a previous program of this fdpass hold ran (before any event).</summary>
    public void Restore(IEnumerable<GenerationSnapshot> generations, int lastNumber)
    {
        _generations.Clear();
        _generations.AddRange(generations.Select(g => new Generation(g)));
        _lastNumber = lastNumber;
    }
}
