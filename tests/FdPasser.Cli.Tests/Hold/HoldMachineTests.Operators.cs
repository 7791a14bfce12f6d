using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>--ready listening, the start limit, the stop signal's name and the first-failure hint, in the machine.</summary>
public sealed partial class HoldMachineTests
{
    [Fact]
    public void Listening_makes_a_starting_generation_ready_as_READY_1_does()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        IReadOnlyList<HoldAction> listening = Do(new HoldEvent.Listening(2, "each in an epoll set"));

        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Term), listening.OfType<HoldAction.Signal>().Single());
        Assert.Contains("generation 2 (pid 200) waits on every listener (each in an epoll set): ready (--ready listening)", Logs(listening));
        Assert.Empty(Do(new HoldEvent.Listening(2, "again")).OfType<HoldAction.Signal>());
    }

    [Fact]
    public void When_the_start_limit_is_hit_with_nothing_serving_hold_stops_and_exits_1()
    {
        var m = new HoldMachine(new HoldTimings { StartLimitBurst = 3, StartLimitInterval = TimeSpan.FromSeconds(60), StopSignalName = "SIGINT" });
        DateTime now = T0;
        var all = new List<HoldAction>(m.Start(now));
        for (int n = 1; n <= 3; n++)
        {
            all.AddRange(m.Handle(new HoldEvent.Spawned(n, n * 100), now));
            IReadOnlyList<HoldAction> exited = m.Handle(new HoldEvent.Exited(n * 100, new ExitStatus(1, null)), now += TimeSpan.FromSeconds(1));
            all.AddRange(exited);
            if (n < 3)
            {
                Assert.NotNull(m.RestartAt);
                all.AddRange(m.Handle(new HoldEvent.Tick(), now = m.RestartAt!.Value));
            }
            else
            {
                Assert.Equal(new HoldAction.Exit(1), exited.OfType<HoldAction.Exit>().Single());
                Assert.Contains(Logs(exited), l => l.StartsWith("start limit hit: 3 starts failed within 60 s with no generation serving (--start-limit-burst 3, --start-limit-interval 60): stopping; fdpass hold exits 1", StringComparison.Ordinal));
            }
        }
        Assert.Equal(3, all.OfType<HoldAction.Spawn>().Count());
        // The hint is given once, at the first failure, while nothing has been ready.
        Assert.Single(Logs(all), l => l.StartsWith("hint: no generation has been ready yet", StringComparison.Ordinal));
    }

    [Fact]
    public void Failures_spread_wider_than_the_interval_do_not_hit_the_start_limit()
    {
        var m = new HoldMachine(new HoldTimings { StartLimitBurst = 2, StartLimitInterval = TimeSpan.FromSeconds(1) });
        DateTime now = T0;
        m.Start(now);
        for (int n = 1; n <= 4; n++)
        {
            m.Handle(new HoldEvent.Spawned(n, n * 100), now);
            Assert.Empty(m.Handle(new HoldEvent.Exited(n * 100, new ExitStatus(1, null)), now += TimeSpan.FromSeconds(2)).OfType<HoldAction.Exit>());
            m.Handle(new HoldEvent.Tick(), now = m.RestartAt!.Value);
        }
    }

    [Fact]
    public void The_log_names_the_stop_signal_given()
    {
        var m = new HoldMachine(new HoldTimings { StopSignalName = "SIGINT", SettleTime = TimeSpan.Zero });
        m.Start(T0);
        m.Handle(new HoldEvent.Spawned(1, 100), T0);
        m.Handle(Ready(100), T0);
        m.Handle(new HoldEvent.Reload("SIGHUP"), T0);
        m.Handle(new HoldEvent.Spawned(2, 200), T0);

        IReadOnlyList<HoldAction> ready = m.Handle(Ready(200), T0);

        Assert.Contains(Logs(ready), l => l.StartsWith("generation 1 (pid 100) drains: sent SIGINT (SIGKILL in 30 s)", StringComparison.Ordinal));
        Assert.Contains("stopping 2 generation(s) (SIGINT, SIGKILL after 30 s)", Logs(m.Handle(new HoldEvent.Stop("SIGTERM"), T0)).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_hint_once_a_generation_has_been_ready()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        Assert.DoesNotContain(Logs(Do(new HoldEvent.Exited(200, new ExitStatus(1, null)))), l => l.StartsWith("hint:", StringComparison.Ordinal));
    }
}
