using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace FdPasser.TestSupport;

/// <summary>
/// Reads a started process's redirected stdout and stderr line by line, each on a thread of its own. Process's line
/// events run on the thread pool, which tests running beside one can keep busy for seconds: a test waiting for a log
/// line then learns of it seconds late, and anything it does "a moment after" that line is late by as much.
/// </summary>
internal sealed class OutputLines
{
    private readonly CountdownEvent _open = new(2);

    private OutputLines()
    {
    }

    /// <summary>Starts reading; <paramref name="stdout"/> and <paramref name="stderr"/> are called with each line, on the readers' threads.</summary>
    public static OutputLines Follow(Process process, Action<string> stdout, Action<string> stderr)
    {
        var output = new OutputLines();
        output.Read(process.StandardOutput, stdout, $"stdout of {process.Id}");
        output.Read(process.StandardError, stderr, $"stderr of {process.Id}");
        return output;
    }

    /// <summary>
    /// Waits (<see cref="Timeout.InfiniteTimeSpan"/>: without a limit) for both streams to end, as
    /// <see cref="Process.WaitForExit()"/> does for the line events: every process that inherited them has closed
    /// them, and every line has been delivered.
    /// </summary>
    public bool WaitForEnd(TimeSpan timeout) => _open.Wait(timeout);

    private void Read(StreamReader reader, Action<string> onLine, string name)
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (reader.ReadLine() is { } line)
                {
                    onLine(line);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The process object was disposed while a read waited: the test is over.
            }
            finally
            {
                _open.Signal();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
    }
}
