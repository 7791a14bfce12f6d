using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using FdPasser.Cli.Server;
using FdPasser.Systemd;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The notification socket's name is visible to every local user (/proc/net/unix), and anyone may send to it: a
/// datagram can carry 253 descriptors. What a process that is not below fdpass hold sends is closed on the receiving
/// thread at once, never queued; what waits for the loop is bounded; lines about what was dropped are throttled
/// per uid (one burst, one line plus a count), so a flood costs hold neither descriptors nor memory nor its log.
/// </summary>
internal sealed partial class HoldRunner
{
    /// <summary>At most this many notifications wait for the loop; more are closed as they arrive.</summary>
    private const int MaxWaitingNotifications = 64;

    private readonly LogThrottle _dropLog = new(linesPerWindow: 3, window: TimeSpan.FromSeconds(10));

    private int _waitingNotifications;

    /// <summary>The first and main pids of the generations, as the loop last saw them, for the receiving thread.</summary>
    private volatile int[] _knownPids = Array.Empty<int>();

    private void PublishKnownPids() =>
        _knownPids = _machine.Generations.SelectMany(g => new[] { g.Pid, g.MainPid }).Distinct().ToArray();

    /// <summary>
    /// On the receiving thread: whether <paramref name="n"/> goes to the loop. A sender is heard when it, or one of
    /// its ancestors, is fdpass hold (every generation's process is below it: it is their subreaper) or a
    /// generation's first or main pid; anything else is closed now, with its descriptors.
    /// </summary>
    private bool Admit(ServiceNotification n, ProcessLineage sender)
    {
        int self = Environment.ProcessId;
        int[] known = _knownPids;
        bool ours = sender.SelfAndAncestors().Any(p => p == self || known.Contains(p));
        string? why = !ours
            ? (sender.Presence == ProcessPresence.Gone
                ? "which had exited before it was read, so whose it was cannot be told"
                : "which is no generation's and not below one")
            : Interlocked.Increment(ref _waitingNotifications) > MaxWaitingNotifications
                ? $"while {MaxWaitingNotifications} notifications were waiting to be handled"
                : null;
        if (why is null)
        {
            return true;
        }
        if (ours)
        {
            Interlocked.Decrement(ref _waitingNotifications);
        }
        int count = n.DescriptorCount;
        n.Dispose();
        LogThrottled(n.Sender.UserId, $"ignored a notification from pid {n.Sender.ProcessId} (uid {n.Sender.UserId}), {why}" +
            (count > 0 ? $"; closed its {count} descriptor(s)" : ""));
        return false;
    }

    /// <summary>Writes a line about something dropped, unless this uid has had its share of lines this window.</summary>
    private void LogThrottled(uint uid, string line)
    {
        LogThrottle.Verdict verdict = _dropLog.Admit(uid, DateTime.UtcNow);
        if (verdict.EndedBefore is { } ended)
        {
            WriteEnded(ended);
        }
        if (verdict.Write)
        {
            _log.Write(verdict.Last
                ? line + $" (more from {Who(uid)} in the next {_dropLog.WindowLength.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s are counted, not logged)"
                : line);
        }
    }

    private void LogEndedThrottleWindows(DateTime now)
    {
        foreach (LogThrottle.Ended ended in _dropLog.TakeEnded(now))
        {
            WriteEnded(ended);
        }
    }

    private void WriteEnded(LogThrottle.Ended ended) =>
        _log.Write($"ignored {ended.HeldBack} more notification(s) from {Who(ended.Uid)} in {_dropLog.WindowLength.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s from {ended.Start.ToLocalTime():HH:mm:ss}");

    private static string Who(uint uid) => uid == uint.MaxValue ? "malformed senders" : "uid " + uid.ToString(CultureInfo.InvariantCulture);
}
