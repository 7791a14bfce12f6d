using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>What the machine shows of its generations is a snapshot: what it does later does not change one taken before.</summary>
public sealed partial class HoldMachineTests
{
    [Fact]
    public void A_generation_read_from_the_machine_keeps_what_it_was_when_read()
    {
        _m.Start(_now);
        Do(new HoldEvent.Spawned(1, 100));
        GenerationSnapshot starting = _m.Generations.Single();

        Do(Ready(100), 0.5);

        Assert.Equal((GenerationState.Starting, null), (starting.State, starting.ReadyAt));
        GenerationSnapshot ready = _m.Generations.Single();
        Assert.Equal((GenerationState.Ready, _now), (ready.State, ready.ReadyAt));
        Assert.Equal(ready, _m.Find(100));
        Assert.NotEqual(starting, ready);
    }
}
