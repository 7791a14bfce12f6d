using System;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>fdpass hold over a COMMAND other than the python3-systemd test app (a server from a Debian package, say).</summary>
internal sealed partial class HoldProcess
{
    /// <summary>
    /// Starts <c>fdpass hold --listen web=tcp:127.0.0.1:0 [options] -- COMMAND...</c> and waits for a log line of
    /// generation 1 with <paramref name="readyLine"/>; "{dir}" in options stands for the scratch directory.
    /// </summary>
    public static HoldProcess StartCommand(string[] options, string[] command, string readyLine = "is ready") =>
        Start("tcp:127.0.0.1:0", options, Array.Empty<string>(), null, command, readyLine);

    /// <summary>Waits until standard error (COMMAND's, which it inherits) has a line holding <paramref name="text"/>.</summary>
    public void AssertError(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        lock (_log)
        {
            while (!_errors.Exists(l => l.Contains(text, StringComparison.Ordinal)))
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"no line with \"{text}\" on standard error within {timeout.TotalSeconds} s:\n{Output}");
                System.Threading.Monitor.Wait(_log, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
        }
    }
}
