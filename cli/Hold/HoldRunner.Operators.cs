using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The runner's side of <c>--reload --wait</c> (answering waiters with the outcome the machine decides),
/// <c>--ready listening</c> (probing /proc for starting generations) and the check that a ready generation holds
/// its listeners.
/// </summary>
internal sealed partial class HoldRunner
{
    private const string GoneSender =
        "which had exited and been reaped before it was read, so whose it was cannot be told (a helper such as " +
        "systemd-notify whose parent reaps it at once, as lighttpd does with children it did not start); send " +
        "notifications from the server's own process (sd_notify), or from a helper that outlives the message";

    private readonly Dictionary<int, ReloadWaiter> _waiters = new();
    private readonly HashSet<int> _checkedReady = new();
    private ulong[]? _listenerInodes;
    private int _lastWaiter;

    private sealed class ReloadWaiter(TaskCompletionSource<string> answer)
    {
        public TaskCompletionSource<string> Answer { get; } = answer;

        /// <summary>What the machine said while it handled the request, before the outcome.</summary>
        public string? Prefix { get; set; }

        public ReloadOutcome? Outcome { get; set; }
    }

    private ulong[] ListenerInodes => _listenerInodes ??= _listeners.Select(l => FileIdentities.Of(l.Socket.SafeHandle).Inode).ToArray();

    /// <summary><c>reload wait [SECONDS]</c>: the answer comes when the machine says how the reload ended.</summary>
    private void WaitForReload(string request, PeerCredentials peer, TaskCompletionSource<string> answer)
    {
        string rest = request["reload wait".Length..].Trim();
        TimeSpan? timeout = null;
        if (rest.Length > 0)
        {
            if (!double.TryParse(rest, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0 || seconds > 86400)
            {
                answer.SetResult($"unknown request '{OneLine.Escape(request)}': expected reload wait SECONDS (more than 0, at most 86400)\n{ControlClient.ExitLinePrefix}2\n");
                return;
            }
            timeout = TimeSpan.FromSeconds(seconds);
        }
        int id = ++_lastWaiter;
        var waiter = new ReloadWaiter(answer);
        _waiters[id] = waiter;
        IReadOnlyList<HoldAction> done = Feed(new HoldEvent.Reload($"fdpass hold --reload --wait from pid {peer.ProcessId}", id, timeout));
        waiter.Prefix = Said(done);
        if (waiter.Outcome is not null)
        {
            Complete(id, waiter);
        }
    }

    /// <summary>The lines the machine said in <paramref name="actions"/> (its answer to a reload, start included), one a line.</summary>
    private static string Said(IReadOnlyList<HoldAction> actions) =>
        string.Concat(actions.OfType<HoldAction.Log>().Select(l => l.Line + "\n"));

    private void AnswerWaiter(HoldAction.ReloadAnswered answered)
    {
        if (!_waiters.TryGetValue(answered.Waiter, out ReloadWaiter? waiter))
        {
            return;
        }
        waiter.Outcome = answered.Outcome;
        if (waiter.Prefix is not null)
        {
            Complete(answered.Waiter, waiter); // else the request is still being handled; it completes it
        }
    }

    private void Complete(int id, ReloadWaiter waiter)
    {
        _waiters.Remove(id);
        ReloadOutcome o = waiter.Outcome!;
        int code = o.Ready ? CommandLine.ExitCodes.Success : CommandLine.ExitCodes.Failure;
        waiter.Answer.SetResult($"{waiter.Prefix}{o.Text}\n{ControlClient.ExitLinePrefix}{code.ToString(CultureInfo.InvariantCulture)}\n");
    }

    /// <summary>Under <c>--ready listening</c>: a starting generation whose processes have every listener in an epoll set is ready.</summary>
    private void ProbeListening()
    {
        if (_options.Ready != ReadyMode.Listening)
        {
            return;
        }
        foreach (GenerationSnapshot g in _machine.Generations.Where(g => g.State == GenerationState.Starting).ToList())
        {
            HashSet<ulong> polled = ListenerProbe.Polled(ProcessesOf(g));
            if (ListenerInodes.All(polled.Contains))
            {
                Feed(new HoldEvent.Listening(g.Number, "each in an epoll set of its processes"));
            }
        }
    }

    /// <summary>
    /// A generation that says READY=1 while none of its processes holds any of its listeners has closed them (it
    /// bound its own socket, say): connections to the listeners then wait unanswered. Said once per generation.
    /// </summary>
    private void CheckNewlyReady()
    {
        if (_listeners.Count == 0 || !ListenerProbe.Available)
        {
            return;
        }
        foreach (GenerationSnapshot g in _machine.Generations)
        {
            if (g.State != GenerationState.Ready || !_checkedReady.Add(g.Number) || !ListenerProbe.CanRead(g.MainPid))
            {
                continue; // a process whose descriptors cannot be read is not warned about: what it holds is unknown
            }
            HashSet<ulong> held = ListenerProbe.Held(ProcessesOf(g));
            if (!ListenerInodes.Any(held.Contains))
            {
                string names = string.Join(", ", _listeners.Select(l => l.Spec.Name));
                _log.Write($"warning: {g.Describe()} is ready but none of its processes holds a listener ({names}): it may " +
                    "serve a socket it bound itself, while connections to fdpass hold's listeners wait unanswered; " +
                    "it should take them from LISTEN_FDS");
            }
        }
        _checkedReady.RemoveWhere(n => !_machine.Generations.Any(g => g.Number == n));
    }

    private static IEnumerable<int> ProcessesOf(GenerationSnapshot g) =>
        g.MainPid == g.Pid ? ListenerProbe.Tree(g.Pid) : ListenerProbe.Tree(g.Pid).Concat(ListenerProbe.Tree(g.MainPid)).Distinct();
}
