using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using FdPasser.TestSupport;

namespace FdPasser.Tests;

/// <summary>The suites' reader of a child's output (tests/Shared/OutputLines.cs).</summary>
public sealed class OutputLinesTests
{
    [Fact]
    public void Waiting_without_a_timeout_waits_for_the_stream_that_ends_last()
    {
        // stdout ends at once, stderr a moment later: the wait must not end with the first stream.
        using Process process = Shell("exec 1>&-; sleep 0.3; echo late >&2");
        var errors = new List<string>();
        OutputLines output = OutputLines.Follow(process, _ => { }, line => { lock (errors) { errors.Add(line); } });

        Assert.True(output.WaitForEnd(Timeout.InfiniteTimeSpan));

        lock (errors)
        {
            Assert.Equal(new[] { "late" }, errors);
        }
    }

    [Fact]
    public void A_stream_still_open_at_the_timeout_ends_the_wait_with_false()
    {
        using Process process = Shell("exec 1>&-; exec sleep 5");
        OutputLines output = OutputLines.Follow(process, _ => { }, _ => { });
        try
        {
            Assert.False(output.WaitForEnd(TimeSpan.FromMilliseconds(200)));
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
        Assert.True(output.WaitForEnd(TestTiming.Seconds(10)));
    }

    /// <summary>sh -c <paramref name="script"/> with stdout and stderr redirected.</summary>
    private static Process Shell(string script)
    {
        var start = new ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        return TestProcesses.Start(start);
    }
}
