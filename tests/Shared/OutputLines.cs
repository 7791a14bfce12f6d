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
    private readonly Thread _stdout;
    private readonly Thread _stderr;

    private OutputLines(Thread stdout, Thread stderr)
    {
        _stdout = stdout;
        _stderr = stderr;
    }

    /// <summary>Starts reading; <paramref name="stdout"/> and <paramref name="stderr"/> are called with each line, on the readers' threads.</summary>
    public static OutputLines Follow(Process process, Action<string> stdout, Action<string> stderr) =>
        new(Read(process.StandardOutput, stdout, $"stdout of {process.Id}"), Read(process.StandardError, stderr, $"stderr of {process.Id}"));

    /// <summary>
    /// Waits for both streams to end, as <see cref="Process.WaitForExit()"/> does for the line events: every
    /// process that inherited them has closed them, and every line has been delivered.
    /// </summary>
    public bool WaitForEnd(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        return _stdout.Join(timeout) && _stderr.Join(Max(TimeSpan.Zero, timeout - deadline.Elapsed));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static Thread Read(StreamReader reader, Action<string> onLine, string name)
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
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return thread;
    }
}
