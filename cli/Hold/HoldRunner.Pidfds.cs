using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Every process hold signals or waits for, held by a pidfd: each generation's first process from its start, each
/// main pid from the moment its MAINPID= was checked. A number reused by another process after one of them ended
/// is then never signalled, never taken for the service, and the end is seen at once (the pidfd becomes readable)
/// instead of by polling kill(pid, 0).
/// </summary>
internal sealed partial class HoldRunner
{
    /// <summary>How long one poll() of a main pid's pidfd waits before it looks whether hold is stopping.</summary>
    private const int PidfdWaitSlice = 1000;

    private readonly Dictionary<int, ProcessHandle> _held = new();

    /// <summary>The pidfd opened for a MAINPID= on the receiving thread, until the machine asks to watch that pid.</summary>
    private ProcessHandle? _namedMain;

    private void HoldChild(int pid)
    {
        if (ProcessHandle.Open(pid) is { } handle)
        {
            Release(pid);
            _held[pid] = handle;
        }
    }

    private void Release(int pid)
    {
        if (_held.Remove(pid, out ProcessHandle? handle))
        {
            handle.Dispose();
        }
    }

    /// <summary>HoldAction.Watch: report Exited for a main pid (not our child) once it ends.</summary>
    private void Watch(int pid)
    {
        ProcessHandle? handle = _namedMain?.Pid == pid ? _namedMain : ProcessHandle.Open(pid);
        if (handle == _namedMain)
        {
            _namedMain = null;
        }
        if (handle is null)
        {
            _inbox.Add(() => Feed(new HoldEvent.Exited(pid, default)));
            return;
        }
        Release(pid);
        _held[pid] = handle;
        if (handle.Pidfd is not null)
        {
            CancellationToken stopping = _shutdown.Token;
            Task.Factory.StartNew(() =>
            {
                while (!stopping.IsCancellationRequested)
                {
                    if (handle.WaitForExit(PidfdWaitSlice))
                    {
                        _inbox.Add(() => OnMainEnded(pid, handle));
                        return;
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// A launcher whose service ended usually exits by itself at once, passing the service's status on (a shell,
    /// <c>dotnet run</c>); the machine would send it SIGTERM the moment it hears of the end. So where the main pid's
    /// generation still has its first process, the machine is told <see cref="LauncherGrace"/> later.
    /// </summary>
    private static readonly TimeSpan LauncherGrace = TimeSpan.FromMilliseconds(250);

    private void OnMainEnded(int pid, ProcessHandle handle, bool graceGiven = false)
    {
        if (!_held.TryGetValue(pid, out ProcessHandle? held) || held != handle)
        {
            return;
        }
        if (!graceGiven && _machine.Find(pid) is { } g && g.Pid != pid && _children.ContainsKey(g.Pid))
        {
            Task.Delay(LauncherGrace, CancellationToken.None).ContinueWith(
                _ => _inbox.Add(() => OnMainEnded(pid, handle, graceGiven: true)), TaskScheduler.Default);
            return;
        }
        Release(pid);
        Feed(new HoldEvent.Exited(pid, default));
    }

    /// <summary>Where the kernel has no pidfds: the main pids are looked at by number, every <see cref="WatchInterval"/>.</summary>
    private void CheckWatched()
    {
        LookAtOrphans();
        foreach ((int pid, ProcessHandle handle) in _held)
        {
            if (handle.Pidfd is null && !_children.ContainsKey(pid) && handle.WaitForExit(0))
            {
                Release(pid);
                Feed(new HoldEvent.Exited(pid, default));
                return; // the set changed; the rest are looked at next time
            }
        }
    }

    /// <summary>Closes every pidfd hold still holds (main pids, first processes, orphans).</summary>
    private void DisposeHeld()
    {
        foreach (ProcessHandle handle in _held.Values)
        {
            handle.Dispose();
        }
        _held.Clear();
        foreach ((ProcessHandle handle, _) in _orphans.Values)
        {
            handle.Dispose();
        }
        _orphans.Clear();
    }

    /// <summary>Signals the very process the machine means: by its pidfd where hold holds one.</summary>
    private bool SendHeld(int pid, HoldSignal which)
    {
        if (!_held.TryGetValue(pid, out ProcessHandle? handle))
        {
            return false;
        }
        handle.Signal(which, _options.StopSignal); // false where it has ended: its end is reported by its own path
        return true;
    }
}
