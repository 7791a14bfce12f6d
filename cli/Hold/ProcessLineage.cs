using System.Collections.Generic;
using System.Linq;
using FdPasser.Platform;
using FdPasser.Processes;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>Whether a process was there when its lineage was read.</summary>
internal enum ProcessPresence
{
    Running,

    /// <summary>Exited, not yet reaped by its parent: its parent is still known.</summary>
    Exited,

    /// <summary>Gone (reaped), so its parent cannot be known.</summary>
    Gone,
}

/// <summary>
/// A process and its ancestors, parent first, read at one moment: which generation a notification's sender, or the
/// MAINPID= it names, belongs to. A generation is its first process and everything below it.
/// </summary>
internal sealed record ProcessLineage(int Pid, ProcessPresence Presence, IReadOnlyList<int> Ancestors)
{
    // Deeper than any real launcher chain; ends a walk that a reused pid could make circular.
    private const int MaxDepth = 64;

    public static ProcessLineage Running(int pid, params int[] ancestors) => new(pid, ProcessPresence.Running, ancestors);

    public static ProcessLineage Gone(int pid) => new(pid, ProcessPresence.Gone, System.Array.Empty<int>());

    /// <summary>The pid, then its ancestors up to (not including) init.</summary>
    public IEnumerable<int> SelfAndAncestors()
    {
        yield return Pid;
        foreach (int a in Ancestors)
        {
            yield return a;
        }
    }

    /// <summary>Every process below <paramref name="pid"/>: read before killing it, whose children would then be init's.</summary>
    public static List<int> Below(int pid) => Below([pid]);

    /// <summary>Every process below any of <paramref name="roots"/> that is not one of them, in one walk of the process table.</summary>
    public static List<int> Below(IReadOnlyCollection<int> roots)
    {
        var below = new List<int>();
        foreach (int other in CliTarget.Current.Processes.ProcessIds())
        {
            if (!roots.Contains(other) && Read(other) is { Presence: ProcessPresence.Running } lineage && lineage.Ancestors.Any(roots.Contains))
            {
                below.Add(other);
            }
        }
        return below;
    }

    /// <summary>Walks the parents from the kernel's process table. A chain broken by a process that ends meanwhile stops there.</summary>
    public static ProcessLineage Read(int pid)
    {
        CliTarget native = CliTarget.Current;
        if (native.Processes.ReadProcessStatus(pid) is not { } self)
        {
            return Gone(pid);
        }
        var ancestors = new List<int>();
        int parent = self.ParentPid;
        while (parent > 1 && ancestors.Count < MaxDepth && !ancestors.Contains(parent))
        {
            ancestors.Add(parent);
            parent = native.Processes.ReadProcessStatus(parent)?.ParentPid ?? 0;
        }
        return new ProcessLineage(pid, self.HasExited ? ProcessPresence.Exited : ProcessPresence.Running, ancestors);
    }
}
