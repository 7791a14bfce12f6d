using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The machine decides that a generation is killed as a whole tree; the runner only performs it.</summary>
public sealed partial class HoldMachineTests
{
    private static HoldAction[] Kills(IReadOnlyList<HoldAction> actions) =>
        actions.Where(a => a is HoldAction.KillTree or HoldAction.Signal).ToArray();

    [Fact]
    public void A_generation_not_ready_in_time_is_killed_as_a_tree_from_its_main_pid_and_its_first_process()
    {
        StartLaunched();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 400));

        IReadOnlyList<HoldAction> late = Do(new HoldEvent.Tick(), 5);

        Assert.Equal(new HoldAction[] { new HoldAction.KillTree(400), new HoldAction.Signal(400, HoldSignal.Kill) }, Kills(late));
    }

    [Fact]
    public void SIGKILL_after_the_stop_timeout_kills_each_tree_and_SIGTERM_kills_no_tree()
    {
        StartLaunched();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 400));
        IReadOnlyList<HoldAction> ready = Do(Ready(400));
        Assert.Empty(ready.OfType<HoldAction.KillTree>());

        IReadOnlyList<HoldAction> late = Do(new HoldEvent.Tick(), 3);

        Assert.Equal(new HoldAction[]
        {
            new HoldAction.KillTree(300), new HoldAction.Signal(300, HoldSignal.Kill),
            new HoldAction.KillTree(100), new HoldAction.Signal(100, HoldSignal.Kill),
        }, Kills(late));
    }
}
