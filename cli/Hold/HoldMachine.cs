using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace FdPasser.Cli.Hold;

/// <summary>
/// The generations of <c>fdpass hold</c> as a state machine that does no I/O: events in (a process started, said
/// READY=1, exited; a reload or stop was asked for; time passed), actions out (start a generation, send a signal,
/// watch a pid, log a line, exit). The caller performs the actions and feeds back what came of them.
/// </summary>
internal sealed partial class HoldMachine
{
    private readonly HoldTimings _timings;
    private readonly List<Generation> _generations = new();
    private readonly List<HoldAction> _actions = new();
    private DateTime _now;
    private int _lastNumber;
    private int? _spawning;
    private bool _reloadQueued;
    private bool _stopping;
    private int _failuresInARow;
    private DateTime? _restartAt;

    public HoldMachine(HoldTimings timings)
    {
        _timings = timings;
    }

    /// <summary>The generations alive, oldest first, as they are now.</summary>
    public IReadOnlyList<GenerationSnapshot> Generations => _generations.ConvertAll(g => g.Snapshot());

    public bool Stopping => _stopping;

    /// <summary>When a crashed service is started again; null where no restart waits.</summary>
    public DateTime? RestartAt => _restartAt;

    /// <summary>The earliest time at which a <see cref="HoldEvent.Tick"/> has something to do; null where nothing is timed.</summary>
    public DateTime? NextDeadline
    {
        get
        {
            DateTime? next = Earliest(_restartAt, NextWaitDeadline);
            foreach (Generation g in _generations)
            {
                next = Earliest(next, g.State == GenerationState.Starting ? g.ReadyDeadline : null);
                next = Earliest(next, g.Killed ? null : g.KillAt);
                next = Earliest(next, g.State == GenerationState.Ready ? g.SettleAt : null);
                next = Earliest(next, g.Killed ? null : g.PriorityRestoreAt);
            }
            return next;
        }
    }

    /// <summary>The generation whose first process or main pid <paramref name="pid"/> is, while it runs.</summary>
    public GenerationSnapshot? Find(int pid) => Live(pid)?.Snapshot();

    /// <summary>The generation a process belongs to (<see cref="LiveOwner"/>).</summary>
    public GenerationSnapshot? Owner(ProcessLineage process) => LiveOwner(process)?.Snapshot();

    private Generation? Live(int pid) => _generations.Find(g => (g.Pid == pid && !g.ChildEnded) || (g.MainPid == pid && !g.MainEnded));

    /// <summary>
    /// The generation a process belongs to: the nearest of itself and its ancestors that is a generation's first
    /// process or main pid (systemd's NotifyAccess=all, with a generation's process tree for the unit's cgroup).
    /// A process already gone has no known ancestors, so only its own pid can match.
    /// </summary>
    private Generation? LiveOwner(ProcessLineage process)
    {
        foreach (int pid in process.SelfAndAncestors())
        {
            if (Live(pid) is { } g)
            {
                return g;
            }
        }
        return null;
    }

    /// <summary>Starts the first generation.</summary>
    public IReadOnlyList<HoldAction> Start(DateTime now)
    {
        _now = now;
        _actions.Clear();
        SpawnNext("start");
        return Drain();
    }

    public IReadOnlyList<HoldAction> Handle(HoldEvent e, DateTime now)
    {
        _now = now;
        _actions.Clear();
        switch (e)
        {
            case HoldEvent.Spawned s:
                OnSpawned(s);
                break;
            case HoldEvent.SpawnFailed f:
                OnSpawnFailed(f);
                break;
            case HoldEvent.Notified n:
                OnNotified(n);
                break;
            case HoldEvent.Exited x:
                OnExited(x);
                break;
            case HoldEvent.Reload r:
                OnReloadEvent(r);
                break;
            case HoldEvent.Listening l:
                OnListening(l);
                break;
            case HoldEvent.Stop s:
                OnStop(s.Source);
                break;
            case HoldEvent.Tick:
                OnTick();
                break;
        }
        return Drain();
    }

    private IReadOnlyList<HoldAction> Drain()
    {
        HoldAction[] result = _actions.ToArray();
        _actions.Clear();
        return result;
    }

    private void Log(string line) => _actions.Add(new HoldAction.Log(line));

    /// <summary>
    /// SIGTERM to the main pid alone, as systemd's KillMode=mixed does: a launcher that stays the main process's parent
    /// (<c>dotnet run</c>) forwards SIGTERM itself, and a second SIGTERM could cut the main process's drain short.
    /// The first process gets it only once the main pid has ended. SIGKILL goes to both.
    /// </summary>
    private void Signal(Generation g, HoldSignal which)
    {
        bool toMain = !g.MainEnded;
        bool toChild = !g.ChildEnded && g.Pid != g.MainPid && (which == HoldSignal.Kill || g.MainEnded);
        if (toMain)
        {
            SignalOne(g.MainPid, which);
        }
        if (toChild)
        {
            SignalOne(g.Pid, which);
        }
        if (which == HoldSignal.Kill)
        {
            g.Killed = true;
        }
    }

    /// <summary>SIGKILL takes what is below the process with it: a generation is killed as a whole tree.</summary>
    private void SignalOne(int pid, HoldSignal which)
    {
        if (which == HoldSignal.Kill)
        {
            _actions.Add(new HoldAction.KillTree(pid));
        }
        _actions.Add(new HoldAction.Signal(pid, which));
    }

    private void Terminate(Generation g, GenerationState state)
    {
        g.State = state;
        Signal(g, HoldSignal.Term);
        g.KillAt = _now + _timings.StopTimeout;
    }

    private Generation? Serving => _generations.LastOrDefault(g => g.State == GenerationState.Ready);

    private Generation? Starting => _generations.Find(g => g.State == GenerationState.Starting);

    private string KeepsServing()
    {
        Generation? serving = Serving;
        return serving is null ? "no generation is serving" : $"{serving.Describe()} keeps serving";
    }

    private void SpawnNext(string why)
    {
        _restartAt = null;
        int number = ++_lastNumber;
        TieReloads(number);
        _spawning = number;
        Log($"starting generation {number} ({why})");
        _actions.Add(new HoldAction.Spawn(number));
    }

    private void OnSpawned(HoldEvent.Spawned s)
    {
        if (_spawning != s.Generation)
        {
            return;
        }
        _spawning = null;
        var g = new Generation(s.Generation, s.Pid, _now);
        if (_timings.ReadyTimeout is { } timeout)
        {
            g.ReadyDeadline = _now + timeout;
        }
        _generations.Add(g);
        ArmStartPriority(g);
        Log($"{g.Describe()} started; waiting for {_timings.WaitingFor}");
        if (_stopping)
        {
            Terminate(g, GenerationState.Stopping);
        }
    }

    private void OnSpawnFailed(HoldEvent.SpawnFailed f)
    {
        if (_spawning != f.Generation)
        {
            return;
        }
        _spawning = null;
        string line = $"generation {f.Generation} could not be started: {f.Reason}; {KeepsServing()}";
        Log(line);
        ReloadsFailed(f.Generation, null, line);
        AfterAnEnd();
    }

    private void OnNotified(HoldEvent.Notified n)
    {
        Generation? g = LiveOwner(n.Sender);
        if (g is null)
        {
            return;
        }
        foreach (KeyValuePair<string, string> field in n.Fields)
        {
            switch (field.Key)
            {
                case "READY" when field.Value == "1":
                    OnReady(g);
                    break;
                case "STOPPING" when field.Value == "1":
                    g.SaidStopping = true;
                    Log($"{g.Describe()} says it is stopping");
                    break;
                case "STATUS":
                    g.Status = field.Value;
                    Log($"{g.Describe()} status: {field.Value}");
                    break;
                case "MAINPID":
                    OnMainPid(g, field.Value, n.NamedMainPid);
                    break;
            }
        }
    }

    private void OnMainPid(Generation g, string value, ProcessLineage? named)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 1)
        {
            Log($"{g.Describe()} sent MAINPID={value}, which is not a process id; ignored");
            return;
        }
        if (pid == g.MainPid && !g.MainEnded)
        {
            return;
        }
        // As systemd's service_is_suitable_main_pid: a running process of the service, never one outside it
        // (which fdpass hold would then signal).
        if (named is null || named.Pid != pid || named.Presence != ProcessPresence.Running)
        {
            Log($"{g.Describe()} sent MAINPID={pid}, which is not a running process; ignored");
            return;
        }
        if (LiveOwner(named) != g)
        {
            Log($"{g.Describe()} sent MAINPID={pid}, which is not pid {g.Pid} or a process below it; ignored");
            return;
        }
        g.MainPid = pid;
        g.MainEnded = false;
        Log($"{g.Describe()}: main pid is now {pid}");
        if (pid != g.Pid)
        {
            _actions.Add(new HoldAction.Watch(pid));
        }
    }

    private void OnReady(Generation g)
    {
        if (g.State != GenerationState.Starting)
        {
            return; // READY=1 again (after RELOADING=1, say) changes nothing here
        }
        g.State = GenerationState.Ready;
        g.ReadyAt = _now;
        g.ReadyDeadline = null;
        RestoreStartPriority(g);
        NoteReady();
        double seconds = (_now - g.StartedAt).TotalSeconds;
        Log($"{g.Describe()} is ready after {seconds.ToString("0.000", CultureInfo.InvariantCulture)} s");
        DrainOrSettle(g);
        if (g.SettleAt is null)
        {
            ReloadsReady(g);
        }
        RunQueuedReload();
    }

    private void RunQueuedReload()
    {
        if (_reloadQueued && !_stopping && Starting is null && _spawning is null)
        {
            _reloadQueued = false;
            SpawnNext("queued reload");
        }
    }

    /// <summary>
    /// A generation ends when both its first process and its main pid have ended. A launcher whose main process
    /// ended is sent SIGTERM, as systemd does to what is left of a service whose main process exited.
    /// </summary>
    private void OnExited(HoldEvent.Exited x)
    {
        Generation? g = Live(x.Pid);
        if (g is null)
        {
            return;
        }
        if (g.Pid == x.Pid && !g.ChildEnded)
        {
            g.ChildEnded = true;
            g.ChildStatus = x.Status;
        }
        if (g.MainPid == x.Pid)
        {
            g.MainEnded = true;
        }
        if (!g.MainEnded)
        {
            Log($"{g.Describe()}: its first process ended ({x.Status}); main pid {g.MainPid} goes on");
            return;
        }
        if (!g.ChildEnded)
        {
            Log($"{g.Describe()}: main pid {g.MainPid} ended; sent {_timings.StopSignalName} to its first process");
            Signal(g, HoldSignal.Term);
            g.KillAt ??= _now + _timings.StopTimeout;
            return;
        }
        _generations.Remove(g);
        string how = (x.Status.Code is null && x.Status.Signal is null ? g.ChildStatus : x.Status).ToString();
        switch (g.State)
        {
            case GenerationState.Starting:
                string line = $"{g.Describe()} exited ({how}) before READY=1: rolled back; {KeepsServing()}";
                Log(line);
                ReloadsFailed(g.Number, g.MainPid, line);
                HintAtFirstFailure();
                break;
            case GenerationState.Ready when g.SettleAt is not null && Serving is not null:
                string rolledBack = RolledBackWhileSettling(g, how);
                Log(rolledBack);
                ReloadsFailed(g.Number, g.MainPid, rolledBack);
                break;
            case GenerationState.Ready:
                _failuresInARow = g.ReadyAt is { } ready && _now - ready >= _timings.StableAfter ? 0 : _failuresInARow;
                Log($"{g.Describe()} exited unasked ({how})");
                break;
            case GenerationState.Draining:
                Log($"{g.Describe()} drained and exited ({how})");
                break;
            case GenerationState.RolledBack:
                Log($"{g.Describe()} is gone ({how})");
                break;
            case GenerationState.Stopping:
                Log($"{g.Describe()} stopped ({how})");
                break;
        }
        AfterAnEnd();
    }

    /// <summary>After a generation ended or failed to start: restart where nothing serves or starts, run a queued reload, or finish stopping.</summary>
    private void AfterAnEnd()
    {
        if (_stopping)
        {
            if (_generations.Count == 0 && _spawning is null)
            {
                Log("every generation has ended; stopping");
                _actions.Add(new HoldAction.Exit(_exitCode));
            }
            return;
        }
        if (Serving is null && Starting is null && _spawning is null && _restartAt is null)
        {
            if (StartLimitHit())
            {
                return;
            }
            TimeSpan delay = RestartDelay();
            _failuresInARow++;
            _restartAt = _now + delay;
            _reloadQueued = false; // the restart starts the newest COMMAND anyway
            Log($"no generation is serving or starting: restarting in {Seconds(delay)}");
            return;
        }
        RunQueuedReload();
    }

    private TimeSpan RestartDelay()
    {
        double ms = _timings.RestartDelay.TotalMilliseconds * Math.Pow(2, Math.Min(_failuresInARow, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _timings.MaxRestartDelay.TotalMilliseconds));
    }

    private void OnReload(string source)
    {
        if (_stopping)
        {
            Log($"reload ({source}) refused: stopping");
            return;
        }
        Generation? starting = Starting;
        if (starting is not null || _spawning is not null)
        {
            string who = starting?.Describe() ?? $"generation {_spawning}";
            Log(_reloadQueued
                ? $"reload ({source}) merged with the one already queued: {who} is still starting"
                : $"reload ({source}) queued: {who} is still starting");
            _reloadQueued = true;
            return;
        }
        SpawnNext($"reload: {source}");
    }

    private void OnStop(string source)
    {
        if (_stopping)
        {
            Log($"{source} while stopping: sending SIGKILL to every generation");
            foreach (Generation g in _generations)
            {
                Signal(g, HoldSignal.Kill);
            }
            return;
        }
        _stopping = true;
        _restartAt = null;
        _reloadQueued = false;
        ReloadsStopped(source);
        Log($"{source}: stopping {_generations.Count} generation(s) ({_timings.StopSignalName}, SIGKILL after {Seconds(_timings.StopTimeout)})");
        foreach (Generation g in _generations)
        {
            if (g.State == GenerationState.Draining || g.State == GenerationState.RolledBack)
            {
                continue; // already told; its own deadline stands
            }
            Terminate(g, GenerationState.Stopping);
        }
        AfterAnEnd();
    }

    private void OnTick()
    {
        SettleDue();
        foreach (Generation g in _generations)
        {
            if (g.State == GenerationState.Starting && g.ReadyDeadline is { } deadline && _now >= deadline)
            {
                g.State = GenerationState.RolledBack;
                Signal(g, HoldSignal.Kill);
                string line = $"{g.Describe()} was not ready within {Seconds(_timings.ReadyTimeout!.Value)}: killed (SIGKILL), rolled back; {KeepsServing()}";
                Log(line);
                ReloadsFailed(g.Number, g.MainPid, line);
            }
            else if (!g.Killed && g.KillAt is { } killAt && _now >= killAt)
            {
                Signal(g, HoldSignal.Kill);
                Log($"{g.Describe()} did not exit within {Seconds(_timings.StopTimeout)} of {_timings.StopSignalName}: sent SIGKILL");
            }
        }
        StartPriorityDue(); // after the rollbacks: a generation killed now needs nothing
        if (_restartAt is { } restart && _now >= restart && !_stopping)
        {
            SpawnNext("restart");
        }
        TickReloadWaits();
    }

    private static DateTime? Earliest(DateTime? a, DateTime? b) =>
        a is null ? b : b is null ? a : (a < b ? a : b);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
