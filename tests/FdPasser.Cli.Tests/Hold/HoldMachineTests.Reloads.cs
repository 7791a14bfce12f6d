using System;
using System.Collections.Generic;
using System.Linq;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>The outcome of a reload as the machine decides it: what <c>--reload --wait</c> answers and <c>--status</c> shows.</summary>
public sealed partial class HoldMachineTests
{
    private static HoldAction.ReloadAnswered AnswerOf(IReadOnlyList<HoldAction> actions) => actions.OfType<HoldAction.ReloadAnswered>().Single();

    [Fact]
    public void A_waited_reload_is_answered_with_the_new_generations_number_and_pid_once_it_is_ready()
    {
        StartServing();
        Assert.Empty(Do(new HoldEvent.Reload("wait", Waiter: 7)).OfType<HoldAction.ReloadAnswered>());
        Assert.Empty(Do(new HoldEvent.Spawned(2, 200)).OfType<HoldAction.ReloadAnswered>());

        HoldAction.ReloadAnswered answer = AnswerOf(Do(Ready(200), 0.5));

        Assert.Equal(7, answer.Waiter);
        Assert.Equal(new ReloadOutcome(2, 200, true, "generation 2 is ready: pid 200", _now), answer.Outcome);
        Assert.Equal(answer.Outcome, _m.LastReload);
        Assert.Null(_m.PendingReload);
    }

    [Fact]
    public void A_reload_rolled_back_for_exiting_before_ready_is_answered_as_failed_and_stays_the_last_reload()
    {
        StartServing();
        Do(new HoldEvent.Reload("wait", Waiter: 1));
        Do(new HoldEvent.Spawned(2, 200));

        HoldAction.ReloadAnswered answer = AnswerOf(Do(new HoldEvent.Exited(200, new ExitStatus(3, null))));

        Assert.False(answer.Outcome.Ready);
        Assert.Equal("generation 2 (pid 200) exited (exit code 3) before READY=1: rolled back; generation 1 (pid 100) keeps serving", answer.Outcome.Text);
        Assert.Equal(answer.Outcome, _m.LastReload);
    }

    [Fact]
    public void A_reload_not_ready_within_the_ready_timeout_is_answered_as_failed_when_it_is_killed()
    {
        StartServing();
        Do(new HoldEvent.Reload("wait", Waiter: 1));
        Do(new HoldEvent.Spawned(2, 200));

        HoldAction.ReloadAnswered answer = AnswerOf(Do(new HoldEvent.Tick(), 5));

        Assert.False(answer.Outcome.Ready);
        Assert.Equal("generation 2 (pid 200) was not ready within 5 s: killed (SIGKILL), rolled back; generation 1 (pid 100) keeps serving", answer.Outcome.Text);
    }

    [Fact]
    public void A_reload_whose_generation_cannot_be_started_is_answered_as_failed()
    {
        StartServing();
        Do(new HoldEvent.Reload("wait", Waiter: 1));

        HoldAction.ReloadAnswered answer = AnswerOf(Do(new HoldEvent.SpawnFailed(2, "'/srv/app' does not exist")));

        Assert.Equal(new ReloadOutcome(2, null, false, "generation 2 could not be started: '/srv/app' does not exist; generation 1 (pid 100) keeps serving", _now), answer.Outcome);
    }

    [Fact]
    public void A_queued_reload_is_answered_for_the_generation_started_after_the_one_starting()
    {
        StartServing();
        Do(new HoldEvent.Reload("first", Waiter: 1));
        Do(new HoldEvent.Spawned(2, 200));
        Do(new HoldEvent.Reload("second", Waiter: 2));
        Assert.Equal(0, _m.PendingReload);

        IReadOnlyList<HoldAction> ready = Do(Ready(200));
        Assert.Equal(1, AnswerOf(ready).Waiter);
        Assert.Equal(3, SpawnOf(ready));
        Do(new HoldEvent.Spawned(3, 300));
        Assert.Equal(3, _m.PendingReload);

        HoldAction.ReloadAnswered second = AnswerOf(Do(Ready(300)));
        Assert.Equal(2, second.Waiter);
        Assert.Equal("generation 3 is ready: pid 300", second.Outcome.Text);
    }

    [Fact]
    public void A_wait_that_times_out_is_answered_then_and_the_reload_still_ends_as_the_machine_decides()
    {
        StartServing();
        Do(new HoldEvent.Reload("wait", Waiter: 4, WaitFor: TimeSpan.FromSeconds(2)));
        Do(new HoldEvent.Spawned(2, 200));
        Assert.Equal(_now + TimeSpan.FromSeconds(2), _m.NextDeadline);

        HoldAction.ReloadAnswered late = AnswerOf(Do(new HoldEvent.Tick(), 2));
        Assert.False(late.Outcome.Ready);
        Assert.Equal("generation 2 (pid 200) was not ready within 2 s (--timeout); it goes on starting (see --status)", late.Outcome.Text);
        Assert.Null(_m.LastReload);

        Assert.Empty(Do(Ready(200), 1).OfType<HoldAction.ReloadAnswered>()); // answered once
        Assert.True(_m.LastReload!.Ready);
    }

    [Fact]
    public void Stopping_answers_every_waited_reload_and_a_reload_asked_for_while_stopping_is_refused()
    {
        StartServing();
        Do(new HoldEvent.Reload("wait", Waiter: 1));
        Do(new HoldEvent.Spawned(2, 200));

        HoldAction.ReloadAnswered stopped = AnswerOf(Do(new HoldEvent.Stop("SIGTERM")));
        Assert.Equal("generation 2 was not ready when fdpass hold was asked to stop (SIGTERM)", stopped.Outcome.Text);

        HoldAction.ReloadAnswered refused = AnswerOf(Do(new HoldEvent.Reload("late", Waiter: 2)));
        Assert.Equal("reload (late) refused: fdpass hold is stopping", refused.Outcome.Text);
        Assert.False(refused.Outcome.Ready);
    }

    [Fact]
    public void A_reload_by_SIGHUP_has_no_waiter_but_its_outcome_is_the_last_reload()
    {
        StartServing();
        Do(new HoldEvent.Reload("SIGHUP"));
        Do(new HoldEvent.Spawned(2, 200));

        Assert.Empty(Do(new HoldEvent.Exited(200, new ExitStatus(null, 11, "SIGSEGV"))).OfType<HoldAction.ReloadAnswered>());

        Assert.Equal("generation 2 (pid 200) exited (killed by SIGSEGV) before READY=1: rolled back; generation 1 (pid 100) keeps serving", _m.LastReload!.Text);
    }
}
