using System;
using System.Collections.Generic;

namespace FdPasser.Cli.Server;

/// <summary>
/// Bounds the lines one uid's refused connections add to the log. A peer that is not allowed can connect in a loop,
/// and a line per refusal would grow the log as fast as it connects. Per uid, the first
/// <see cref="LinesPerWindow"/> refusals of a window are logged and the rest counted; the count is reported in one
/// line once the window has ended. Decides from the times it is given, so the tests need no clock.
/// </summary>
internal sealed class LogThrottle
{
    /// <summary>More uids than this refused at once are logged line by line: keeping a window for each would cost more.</summary>
    private const int MaxTracked = 4096;

    private readonly Dictionary<uint, Window> _windows = new();
    private readonly object _gate = new();

    public LogThrottle(int linesPerWindow, TimeSpan window)
    {
        LinesPerWindow = linesPerWindow;
        WindowLength = window;
    }

    public int LinesPerWindow { get; }

    public TimeSpan WindowLength { get; }

    /// <summary>What to do with one more line for <paramref name="uid"/> at <paramref name="now"/>.</summary>
    public Verdict Admit(uint uid, DateTime now)
    {
        lock (_gate)
        {
            Ended? ended = null;
            if (_windows.TryGetValue(uid, out Window window))
            {
                if (now - window.Start < WindowLength)
                {
                    if (window.Logged < LinesPerWindow)
                    {
                        _windows[uid] = window with { Logged = window.Logged + 1 };
                        return new Verdict(true, window.Logged + 1 == LinesPerWindow, null);
                    }
                    _windows[uid] = window with { HeldBack = window.HeldBack + 1 };
                    return new Verdict(false, false, null);
                }
                _windows.Remove(uid);
                ended = window.HeldBack > 0 ? new Ended(uid, window.HeldBack, window.Start) : null;
            }
            if (_windows.Count >= MaxTracked)
            {
                return new Verdict(true, false, ended);
            }
            _windows[uid] = new Window(now, 1, 0);
            return new Verdict(true, LinesPerWindow == 1, ended);
        }
    }

    /// <summary>The windows that have ended by <paramref name="now"/> with refusals held back; all of them are forgotten.</summary>
    public List<Ended> TakeEnded(DateTime now)
    {
        var ended = new List<Ended>();
        lock (_gate)
        {
            // Removing the current entry while enumerating a Dictionary is allowed (.NET Core 3.0 and later).
            foreach (KeyValuePair<uint, Window> entry in _windows)
            {
                if (now - entry.Value.Start < WindowLength)
                {
                    continue;
                }
                _windows.Remove(entry.Key);
                if (entry.Value.HeldBack > 0)
                {
                    ended.Add(new Ended(entry.Key, entry.Value.HeldBack, entry.Value.Start));
                }
            }
        }
        return ended;
    }

    /// <param name="Write">Whether the line is logged.</param>
    /// <param name="Last">Whether it is the last one logged in this window, which should say so.</param>
    /// <param name="EndedBefore">The uid's previous window, where it held lines back: to be reported first.</param>
    public readonly record struct Verdict(bool Write, bool Last, Ended? EndedBefore);

    /// <summary>A window that held back <paramref name="HeldBack"/> lines of <paramref name="Uid"/>, starting at <paramref name="Start"/>.</summary>
    public readonly record struct Ended(uint Uid, int HeldBack, DateTime Start);

    private readonly record struct Window(DateTime Start, int Logged, int HeldBack);
}
