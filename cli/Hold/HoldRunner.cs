using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Server;
using FdPasser.Platform;
using FdPasser.Processes;
using FdPasser.Systemd;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// <c>fdpass hold</c> at work: binds the listeners, the notification socket and the control socket, and runs one
/// loop that feeds <see cref="HoldMachine"/> with what happens (signals, notifications, child exits, control
/// requests, time) and performs what it asks for. Everything that touches the machine or the store runs on the
/// loop's thread; the other threads only post to it.
/// </summary>
internal sealed partial class HoldRunner : IDisposable
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    private readonly HoldOptions _options;
    private readonly ServerLog _log;
    private readonly HoldMachine _machine;
    private readonly DescriptorStore _store;
    private readonly UserAccount? _user;
    private readonly HandoverBroker _broker;
    private readonly List<BoundListener> _listeners = new();
    private readonly Dictionary<int, ChildProcess> _children = new();
    private readonly BlockingCollection<Action> _inbox = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly List<IDisposable> _signals = new();
    private NotificationListener? _notify;
    private ControlServer? _control;
    private long _reloadAskedAt;
    private int? _exitCode;
    private readonly HoldInbox _events;

    public HoldRunner(HoldOptions options, ServerLog log)
    {
        _options = options;
        _log = log;
        _machine = new HoldMachine(options.Timings);
        _store = new DescriptorStore(options.FdStoreMax);
        _user = options.User is null ? null : UserAccount.Find(options.User);
        _broker = new HandoverBroker(log.Write);
        _events = new HoldInbox(Handle, Perform, AfterEvent);
    }

    public int Run()
    {
        bool upgraded = ResumeAfterUpgrade();
        if (!upgraded)
        {
            foreach (ListenerSpec spec in _options.Listeners)
            {
                BoundListener bound = Listen(spec);
                _listeners.Add(bound);
                _log.Write($"listening on {spec.Name}={bound.Address}");
            }
            ClosePassedLeftOver();
        }
        // An abstract name: no file to clean up, and a generation running as another user can reach it; only
        // notifications from a generation's processes are acted on.
        _notify ??= NotificationListener.Bind($"@fdpass-hold/{Environment.ProcessId}/{Guid.NewGuid():N}");
        _control = ControlServer.Create(_options.ControlPath, OwnUid(), AnswerAsync);
        _log.Write($"control socket {_control.Path}; notifications at {_notify.Address}");
        Task notifications = StartReceivingNotifications();
        Task control = _control.RunAsync(_shutdown.Token);
        // SIGHUP asks for a reload even where it was ignored when hold started (nohup, or a parent that ignores it),
        // as it does for nginx or sshd: the runtime would keep the inherited SIG_IGN and never call the handler.
        if (CliTarget.Current.Processes.ResetSignalToDefault(PosixSignal.SIGHUP))
        {
            _log.Write("SIGHUP was ignored when fdpass hold started (nohup, or a parent that ignores it); it now asks for a reload, as it does otherwise");
        }
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal(() => Feed(new HoldEvent.Reload("SIGHUP")))));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal(() => Feed(new HoldEvent.Stop("SIGTERM")))));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal(() => Feed(new HoldEvent.Stop("SIGINT")))));

        BecomeSubreaper(); // again after an upgrade: cheap, and it must hold in this program too
        if (!upgraded)
        {
            _events.Perform(_machine.Start(DateTime.UtcNow));
        }
        PublishKnownPids();
        ReportToOuterManager();
        DateTime nextWatch = DateTime.UtcNow + WatchInterval;
        while (_exitCode is null)
        {
            DateTime now = DateTime.UtcNow;
            DateTime wake = _machine.NextDeadline is { } d && d < nextWatch ? d : nextWatch;
            TimeSpan wait = wake > now ? wake - now : TimeSpan.Zero;
            if (_inbox.TryTake(out Action? work, wait))
            {
                work();
            }
            now = DateTime.UtcNow;
            if (_machine.NextDeadline is { } due && due <= now)
            {
                Feed(new HoldEvent.Tick());
            }
            if (now >= nextWatch)
            {
                CheckWatched();
                ProbeListening();
                LogEndedThrottleWindows(now);
                nextWatch = now + WatchInterval;
            }
            ReportToOuterManager();
        }
        KillEverythingBelow();
        _shutdown.Cancel();
        Task.WaitAll(new[] { _notifyTask ?? notifications, control }, TimeSpan.FromSeconds(5));
        return _exitCode.Value;
    }

    private Action<PosixSignalContext> OnSignal(Action work) => context =>
    {
        context.Cancel = true; // fdpass hold decides what a signal does, and exits itself
        _inbox.Add(work);
    };

    /// <summary>Feeds the machine <paramref name="e"/> and what performing its actions brings about; returns every action performed.</summary>
    private IReadOnlyList<HoldAction> Feed(HoldEvent e) => _events.Feed(e);

    private IReadOnlyList<HoldAction> Handle(HoldEvent e)
    {
        if (e is HoldEvent.Reload)
        {
            _reloadAskedAt = Stopwatch.GetTimestamp();
            _outerReloadAsked = true;
        }
        return _machine.Handle(e, DateTime.UtcNow);
    }

    private void AfterEvent(HoldEvent e)
    {
        AfterOrphanEvent(e);
        PublishKnownPids();
        CheckNewlyReady();
    }

    private void Perform(HoldAction action)
    {
        switch (action)
        {
            case HoldAction.Log log:
                _log.Write(log.Line);
                break;
            case HoldAction.Spawn spawn:
                Spawn(spawn.Generation);
                break;
            case HoldAction.KillTree tree:
                KillBelow(tree.Pid);
                break;
            case HoldAction.Signal signal:
                _broker.BeforeSignal(signal.Pid, signal.Which, _machine);
                Send(signal.Pid, signal.Which);
                break;
            case HoldAction.RestorePriority restore:
                RestorePriority(restore);
                break;
            case HoldAction.Watch watch:
                Watch(watch.Pid);
                break;
            case HoldAction.ReloadAnswered answered:
                AnswerWaiter(answered);
                break;
            case HoldAction.Exit exit:
                _exitCode = exit.Code;
                break;
        }
    }

    private void Spawn(int generation)
    {
        ChildProcess child;
        _broker.Prune(_machine);
        using System.Net.Sockets.SafeSocketHandle? link = _broker.Open(generation);
        try
        {
            child = ChildStart.Start(_options, _user, _listeners, _store, _notify!.Address, generation, link);
        }
        catch (Exception e) when (e is not OutOfMemoryException && generation > 1)
        {
            _broker.Close(generation);
            // Once a generation has run, a failed start (a deploy in progress, say) is retried; a COMMAND that
            // cannot be started at all the first time is an error of the command line, reported at once.
            _events.Post(new HoldEvent.SpawnFailed(generation, OneLine.Of(e)));
            return;
        }
        int pid = child.ProcessId;
        _children[pid] = child;
        HoldChild(pid);
        if (_reloadAskedAt != 0)
        {
            double ms = Stopwatch.GetElapsedTime(_reloadAskedAt).TotalMilliseconds;
            _reloadAskedAt = 0;
            _log.Write($"generation {generation}: pid {pid} running {ms.ToString("0.000", CultureInfo.InvariantCulture)} ms after the reload was asked for");
        }
        child.Exited.ContinueWith(t => _inbox.Add(() => OnChildExited(pid, t.Result)), TaskScheduler.Default);
        _events.Post(new HoldEvent.Spawned(generation, pid));
    }

    private void OnChildExited(int pid, ChildExitStatus status)
    {
        _children.Remove(pid);
        Release(pid);
        ExitStatus how = !status.IsKnown ? default
            : status.Signal != 0 ? new ExitStatus(null, status.Signal, SignalNames.Name(status.Signal))
            : new ExitStatus(status.ExitCode, null);
        Feed(new HoldEvent.Exited(pid, how));
        _broker.Prune(_machine);
    }

    private void Send(int pid, HoldSignal which)
    {
        try
        {
            // A pid held neither as a child nor by a pidfd has ended (its end is on its way to the machine): its
            // number may be another process's by now, so it is not signalled.
            if (!SendHeld(pid, which) && _children.TryGetValue(pid, out ChildProcess? child))
            {
                _ = which == HoldSignal.Kill ? child.Kill() : child.Signal(_options.StopSignal);
            }
        }
        catch (FdPassingException e)
        {
            _log.Write($"could not signal pid {pid}: {OneLine.Of(e)}");
        }
    }

    /// <summary>SIGKILL to every process below <paramref name="pid"/> (<see cref="HoldAction.KillTree"/>).</summary>
    private void KillBelow(int pid)
    {
        List<int> below = ProcessLineage.Below(pid);
        foreach (int p in below)
        {
            try
            {
                SignalNames.Send(p, HoldSignal.Kill);
            }
            catch (FdPassingException e)
            {
                _log.Write($"could not signal pid {p}: {OneLine.Of(e)}");
            }
        }
        if (below.Count > 0)
        {
            _log.Write($"sent SIGKILL to {below.Count} process(es) below pid {pid}: {string.Join(", ", below)}");
        }
    }

    private async Task ReceiveNotificationsAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                ServiceNotification n = await _notify!.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                // Read at once: the sender may exit (and its lineage go) while the loop is busy.
                ProcessLineage sender = ReadSender(n);
                if (!Admit(n, sender))
                {
                    continue; // a stranger's, or too many waiting: closed here, at once, with its descriptors
                }
                // The pidfd first: the lineage read after it is that process's while it has not ended since.
                ProcessHandle? mainHandle = HoldNamedMain(n, sender);
                ProcessLineage? named = n.MainPid is { } m and > 1 ? (m == sender.Pid ? sender : ProcessLineage.Read(m)) : null;
                if (mainHandle is not null && mainHandle.Pidfd is not null && mainHandle.WaitForExit(0))
                {
                    named = ProcessLineage.Gone(mainHandle.Pid);
                }
                _inbox.Add(() =>
                {
                    Interlocked.Decrement(ref _waitingNotifications);
                    OnNotification(n, sender, named, mainHandle);
                });
            }
            catch (MalformedNotificationException e)
            {
                LogThrottled(uint.MaxValue, OneLine.Of(e)); // anyone can send one: at most a few lines a window
            }
            catch (FdPassingException e)
            {
                // recvmsg failed (ENOMEM, ENOBUFS): say so and keep receiving, a little later.
                _inbox.Add(() => _log.Write("receiving notifications: " + OneLine.Of(e)));
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnNotification(ServiceNotification n, ProcessLineage sender, ProcessLineage? named, ProcessHandle? mainHandle)
    {
        _namedMain = mainHandle; // taken by Watch where the machine accepts the MAINPID=; closed below otherwise
        try
        {
            OnNotification(n, sender, named);
        }
        finally
        {
            _namedMain?.Dispose();
            _namedMain = null;
        }
    }

    private void OnNotification(ServiceNotification n, ProcessLineage sender, ProcessLineage? named)
    {
        using (n)
        {
            int pid = n.Sender.ProcessId;
            NotificationPlan plan = NotificationPlan.For(n);
            if (plan.Barrier)
            {
                Barrier(n, plan);
                return;
            }
            GenerationSnapshot? g = _machine.Owner(sender);
            if (g is null)
            {
                string which = sender.Presence == ProcessPresence.Gone ? GoneSender : "which is no generation's and not below one";
                _log.Write($"ignored a notification from pid {pid} (uid {n.Sender.UserId}), {which}" +
                    (n.DescriptorCount > 0 ? $"; closed its {n.DescriptorCount} descriptor(s)" : ""));
                return;
            }
            if (plan.StoreAs is { } storeAs)
            {
                Store(g, n, storeAs);
            }
            else if (plan.CloseUnstored)
            {
                _log.Write($"{g.Describe()} sent {n.DescriptorCount} descriptor(s) without FDSTORE=1: closed");
            }
            if (plan.RemoveName is { } name)
            {
                _log.Write($"{g.Describe()}: FDSTOREREMOVE of '{name}' closed {_store.Remove(name)} descriptor(s)");
            }
            Feed(new HoldEvent.Notified(sender, n.Fields, named));
        }
    }

    /// <summary>BARRIER=1 (<see cref="NotificationPlan.Barrier"/>): the caller disposes the notification, which closes its descriptor.</summary>
    private void Barrier(ServiceNotification n, NotificationPlan plan)
    {
        if (plan.BarrierIgnoredFields > 0)
        {
            _log.Write($"pid {n.Sender.ProcessId} sent BARRIER=1 with {plan.BarrierIgnoredFields} other field(s): ignored, as systemd does");
        }
        if (plan.BarrierMiscounted)
        {
            _log.Write($"pid {n.Sender.ProcessId} sent BARRIER=1 with {n.DescriptorCount} descriptors instead of 1: closed");
        }
    }

    private void Store(GenerationSnapshot g, ServiceNotification n, string name)
    {
        for (int i = 0; i < n.DescriptorCount; i++)
        {
            SafeHandle handle = n.TakeDescriptor(i);
            FileIdentity identity;
            try
            {
                identity = FileIdentities.Of(handle);
            }
            catch (FdPassingException e)
            {
                handle.Dispose();
                _log.Write($"{g.Describe()}: not stored '{name}': {OneLine.Of(e)}");
                continue;
            }
            string outcome = _store.Add(name, handle, identity, g.MainPid, out StoredDescriptor? existing) switch
            {
                StoreResult.Added => $"stored '{name}' ({_store.Entries.Count} of at most {_store.Capacity})",
                StoreResult.Duplicate => $"'{name}' is the file already stored as '{existing!.Name}': kept once",
                StoreResult.Full => $"not stored '{name}': the store holds its maximum of {_store.Capacity} (--fd-store-max)",
                _ => $"not stored '{name}': not a descriptor name (1 to 255 printable ASCII characters, no spaces or ':')",
            };
            _log.Write($"{g.Describe()}: {outcome}");
        }
    }

    private Task<string> AnswerAsync(string request, PeerCredentials peer)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inbox.Add(() =>
        {
            switch (request)
            {
                case "reload":
                    IReadOnlyList<HoldAction> done = Feed(new HoldEvent.Reload($"fdpass hold --reload from pid {peer.ProcessId}"));
                    answer.SetResult(Said(done));
                    break;
                case string wait when wait.StartsWith("reload wait", StringComparison.Ordinal):
                    WaitForReload(request, peer, answer);
                    break;
                case var r when r == "upgrade" || r.StartsWith("upgrade ", StringComparison.Ordinal):
                    answer.SetResult(Upgrade(request, peer));
                    break;
                case "status":
                    answer.SetResult(HoldStatus.Format(_listeners, _machine, _store, DateTime.UtcNow));
                    break;
                default:
                    answer.SetResult($"unknown request '{OneLine.Escape(request)}': expected reload or status\n");
                    break;
            }
        });
        return answer.Task;
    }

    private static uint OwnUid() => Commands.Endpoint.Self().UserId;

    /// <summary>Closes the control socket, the listeners (removing the socket files made for them) and the store.</summary>
    public void Dispose()
    {
        foreach (IDisposable s in _signals)
        {
            s.Dispose();
        }
        if (_control is not null)
        {
            _control.Dispose();
            _log.Write($"removed {_control.Path}");
        }
        _notify?.Dispose();
        _broker.Dispose();
        foreach (BoundListener l in _listeners)
        {
            l.Dispose();
            if (l.CreatedPath is not null)
            {
                _log.Write($"removed {l.CreatedPath}");
            }
        }
        _store.Dispose();
        DisposeHeld();
        _passed?.Dispose();
        _shutdown.Dispose();
    }
}
