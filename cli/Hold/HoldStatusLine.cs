using System.Collections.Generic;
using System.Text;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>--status</c> in one line, for fdpass hold's own service manager (STATUS=, shown by <c>systemctl status</c>):
/// the generations with their pids and states, the listeners and the store. No durations, so the line changes only
/// when something did.
/// </summary>
internal static class HoldStatusLine
{
    public static string Format(IReadOnlyList<BoundListener> listeners, HoldMachine machine, DescriptorStore store)
    {
        var text = new StringBuilder();
        if (machine.Stopping)
        {
            text.Append("stopping; ");
        }
        if (machine.Generations.Count == 0)
        {
            text.Append("no generation running");
        }
        for (int i = 0; i < machine.Generations.Count; i++)
        {
            GenerationSnapshot g = machine.Generations[i];
            text.Append(i == 0 ? "" : ", ").Append(g.Describe()).Append(' ').Append(State(g.State));
        }
        if (machine.RestartAt is not null)
        {
            text.Append("; restart pending");
        }
        text.Append("; listening on ");
        for (int i = 0; i < listeners.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(listeners[i].Spec.Name);
        }
        text.Append("; stored ").Append(store.Entries.Count).Append(" of at most ").Append(store.Capacity);
        return text.ToString();
    }

    private static string State(GenerationState state) => state switch
    {
        GenerationState.Starting => "starting",
        GenerationState.Ready => "serving",
        GenerationState.Draining => "draining",
        GenerationState.RolledBack => "rolled back",
        _ => "stopping",
    };
}
