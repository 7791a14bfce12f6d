using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FdPasser.Cli.Hold;

/// <summary>The text <c>fdpass hold --status</c> prints: one line per listener, generation and stored descriptor.</summary>
internal static class HoldStatus
{
    public static string Format(IReadOnlyList<BoundListener> listeners, HoldMachine machine, DescriptorStore store, DateTime now)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"fdpass hold: pid {Environment.ProcessId}{(machine.Stopping ? ", stopping" : "")}\n");
        foreach (BoundListener l in listeners)
        {
            text.Append(CultureInfo.InvariantCulture, $"listener {l.Spec.Name} {l.Address}\n");
        }
        foreach (GenerationSnapshot g in machine.Generations)
        {
            text.Append(CultureInfo.InvariantCulture, $"generation {g.Number} pid {g.Pid}");
            if (g.MainPid != g.Pid)
            {
                text.Append(CultureInfo.InvariantCulture, $" main-pid {g.MainPid}");
            }
            text.Append(CultureInfo.InvariantCulture, $" {State(g.State)} for {Seconds(now - (g.ReadyAt ?? g.StartedAt))}");
            if (g.Status is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" status \"{OneLine.Escape(g.Status)}\"");
            }
            text.Append('\n');
        }
        text.Append(ReloadLine(machine, now));
        if (machine.RestartAt is { } restart)
        {
            text.Append(CultureInfo.InvariantCulture, $"restart in {Seconds(restart - now)}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"stored {store.Entries.Count} of at most {store.Capacity}\n");
        foreach (StoredDescriptor d in store.Entries)
        {
            text.Append(CultureInfo.InvariantCulture, $"stored {d.Name} device {d.Identity.Device} inode {d.Identity.Inode} from pid {d.FromPid}\n");
        }
        return text.ToString();
    }

    /// <summary>How the last reload ended (rolled back ones too), and the one still pending.</summary>
    private static string ReloadLine(HoldMachine machine, DateTime now)
    {
        string line = machine.LastReload is { } last
            ? $"last reload {(last.Ready ? "ready" : "failed")} {Seconds(now - last.At)} ago: {OneLine.Escape(last.Text)}\n"
            : "";
        return machine.PendingReload switch
        {
            null => line,
            0 => line + "reload queued\n",
            { } n => line + $"reload pending: generation {n.ToString(CultureInfo.InvariantCulture)}\n",
        };
    }

    private static string State(GenerationState state) => state switch
    {
        GenerationState.Starting => "starting",
        GenerationState.Ready => "ready",
        GenerationState.Draining => "draining",
        GenerationState.RolledBack => "rolled-back",
        _ => "stopping",
    };

    private static string Seconds(TimeSpan t) => Math.Max(0, t.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
