using System;
using System.Linq;
using FdPasser.Cli.Server;

namespace FdPasser.Cli.Tests;

public sealed class LogThrottleTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_first_lines_of_a_window_are_written_the_last_of_them_says_so_and_the_rest_are_counted()
    {
        var throttle = new LogThrottle(3, Window);

        LogThrottle.Verdict[] verdicts = Enumerable.Range(0, 10).Select(i => throttle.Admit(7, T0 + TimeSpan.FromMilliseconds(i))).ToArray();

        Assert.Equal(new[] { true, true, true }, verdicts.Take(3).Select(v => v.Write));
        Assert.Equal(new[] { false, false, true }, verdicts.Take(3).Select(v => v.Last));
        Assert.All(verdicts.Skip(3), v => Assert.False(v.Write));
        Assert.All(verdicts, v => Assert.Null(v.EndedBefore));
    }

    [Fact]
    public void The_next_line_after_the_window_reports_what_it_held_back_and_starts_a_new_window()
    {
        var throttle = new LogThrottle(2, Window);
        for (int i = 0; i < 5; i++)
        {
            throttle.Admit(7, T0);
        }

        LogThrottle.Verdict next = throttle.Admit(7, T0 + Window);

        Assert.True(next.Write);
        Assert.Equal(new LogThrottle.Ended(7, 3, T0), next.EndedBefore);
        Assert.True(throttle.Admit(7, T0 + Window).Write);
        Assert.False(throttle.Admit(7, T0 + Window).Write);
    }

    [Fact]
    public void Uids_have_windows_of_their_own()
    {
        var throttle = new LogThrottle(1, Window);
        Assert.True(throttle.Admit(1, T0).Write);
        Assert.False(throttle.Admit(1, T0).Write);

        Assert.True(throttle.Admit(2, T0).Write);
    }

    [Fact]
    public void Ended_windows_are_taken_once_with_their_counts_and_open_ones_stay()
    {
        var throttle = new LogThrottle(1, Window);
        throttle.Admit(1, T0);
        throttle.Admit(1, T0);
        throttle.Admit(1, T0);
        throttle.Admit(2, T0 + TimeSpan.FromSeconds(5));
        throttle.Admit(2, T0 + TimeSpan.FromSeconds(5));
        throttle.Admit(3, T0); // nothing held back: ends without a report

        Assert.Equal(new[] { new LogThrottle.Ended(1, 2, T0) }, throttle.TakeEnded(T0 + Window));
        Assert.Empty(throttle.TakeEnded(T0 + Window));
        Assert.Equal(new[] { new LogThrottle.Ended(2, 1, T0 + TimeSpan.FromSeconds(5)) }, throttle.TakeEnded(DateTime.MaxValue));
        // uid 1's window was forgotten when taken: its next line starts a new one and reports nothing.
        Assert.Null(throttle.Admit(1, T0 + Window).EndedBefore);
    }
}
