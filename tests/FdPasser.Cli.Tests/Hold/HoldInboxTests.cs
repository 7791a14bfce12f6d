using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// The runner's way of feeding the machine: what arises while a batch of actions is performed is fed after the batch,
/// never from inside it (a spawn that succeeded, a signalled child that exited at once).
/// </summary>
public sealed class HoldInboxTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly HoldMachine _m = new(new HoldTimings
    {
        ReadyTimeout = TimeSpan.FromSeconds(5),
        StopTimeout = TimeSpan.FromSeconds(3),
        SettleTime = TimeSpan.Zero,
    });

    private readonly List<string> _trace = new();
    private readonly HoldInbox _inbox;
    private Func<HoldAction, HoldEvent?> _reaction = _ => null;

    public HoldInboxTests()
    {
        _inbox = new HoldInbox(
            e => { _trace.Add($"handle {e.GetType().Name}"); return _m.Handle(e, T0); },
            a => { _trace.Add($"perform {a}"); if (_reaction(a) is { } e) { _inbox!.Post(e); } },
            e => _trace.Add($"after {e.GetType().Name}"));
    }

    private static HoldEvent.Notified Ready(int pid) =>
        new(ProcessLineage.Running(pid), new[] { new KeyValuePair<string, string>("READY", "1") });

    private int IndexOf(string part) => _trace.FindIndex(t => t.Contains(part, StringComparison.Ordinal));

    [Fact]
    public void A_spawn_is_answered_after_the_batch_that_asked_for_it()
    {
        _reaction = a => a is HoldAction.Spawn s ? new HoldEvent.Spawned(s.Generation, 100) : null;

        IReadOnlyList<HoldAction> done = _inbox.Perform(_m.Start(T0));

        Assert.Equal(new[] { "starting generation 1 (start)", "generation 1 (pid 100) started; waiting for READY=1" },
            done.OfType<HoldAction.Log>().Select(l => l.Line));
        Assert.Equal(100, _m.Generations.Single().Pid);
        Assert.True(IndexOf("perform Spawn") < IndexOf("handle Spawned"));
        Assert.Equal("after Spawned", _trace[^1]);
    }

    [Fact]
    public void An_exit_that_arises_while_signalling_is_fed_after_the_rest_of_the_batch_is_performed()
    {
        _reaction = a => a is HoldAction.Spawn s ? new HoldEvent.Spawned(s.Generation, s.Generation * 100) : null;
        _inbox.Perform(_m.Start(T0));
        _inbox.Feed(Ready(100));
        _inbox.Feed(new HoldEvent.Reload("SIGHUP"));
        Assert.Equal(2, _m.Generations.Count);
        _trace.Clear();
        // The first process signalled exits at once: its end arises in the middle of the stop's batch.
        _reaction = a => a is HoldAction.Signal { Pid: 100 } ? new HoldEvent.Exited(100, new ExitStatus(0, null)) : null;

        _inbox.Feed(new HoldEvent.Stop("SIGTERM"));

        int second = IndexOf("Signal { Pid = 200");
        int exited = IndexOf("handle Exited");
        Assert.True(IndexOf("Signal { Pid = 100") < second, string.Join("\n", _trace));
        Assert.True(second < exited, string.Join("\n", _trace)); // fed from inside Perform, it would come before
        Assert.True(IndexOf("after Stop") < exited, string.Join("\n", _trace));
        Assert.True(exited < IndexOf("generation 1 (pid 100) stopped (exit code 0)"), string.Join("\n", _trace));
        Assert.Equal(200, _m.Generations.Single().Pid);
    }

    [Fact]
    public void Feeding_from_inside_a_batch_only_queues_the_event()
    {
        var nested = new List<IReadOnlyList<HoldAction>>();
        _reaction = a =>
        {
            if (a is HoldAction.Spawn s)
            {
                nested.Add(_inbox.Feed(new HoldEvent.Spawned(s.Generation, 100)));
            }
            return null;
        };

        _inbox.Perform(_m.Start(T0));

        Assert.Empty(Assert.Single(nested));
        Assert.True(IndexOf("perform Spawn") < IndexOf("handle Spawned"));
        Assert.Equal(100, _m.Generations.Single().Pid);
    }
}
