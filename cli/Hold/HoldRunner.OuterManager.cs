using System;
using System.IO;
using System.Linq;
using FdPasser.Systemd;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// fdpass hold as a service of its own manager (systemd, systemd-socket-activate): listeners taken from its
/// LISTEN_FDS by name, and READY=1, RELOADING=1, STOPPING=1 and STATUS= sent to its NOTIFY_SOCKET. Generations
/// never see either: they get fdpass hold's own listeners and notification socket.
/// </summary>
internal sealed partial class HoldRunner
{
    private readonly ServiceNotifier _outer = ServiceNotifier.FromEnvironment(unsetEnvironment: true);
    private PassedListeners? _passed;
    private bool _outerToldReady;
    private bool _outerToldStopping;
    private bool _outerReloadAsked;
    private bool _outerReloading;
    private bool _outerFailed;
    private string? _outerStatus;

    private BoundListener Listen(ListenerSpec spec)
    {
        if (spec.Kind != ListenerKind.Inherited)
        {
            return BoundListener.Bind(spec);
        }
        _passed ??= PassedListeners.Take();
        return BoundListener.Inherit(spec, _passed);
    }

    /// <summary>Closes what fdpass hold's manager passed and no <c>--listen NAME=inherited</c> took, saying which.</summary>
    private void ClosePassedLeftOver()
    {
        _passed ??= PassedListeners.Take();
        foreach (ListenDescriptor d in _passed.Descriptors?.Where(d => d.IsOwned) ?? Enumerable.Empty<ListenDescriptor>())
        {
            _log.Write($"LISTEN_FDS passed {d}, which no --listen {d.Name}={ListenerSpec.InheritedForm} takes: closed");
        }
        _passed.Dispose();
    }

    /// <summary>
    /// Says what changed since the last call: READY=1 once the first generation serves, RELOADING=1 (with
    /// MONOTONIC_USEC=, for Type=notify-reload) when a reload begins and READY=1 when no generation is starting any
    /// more, STOPPING=1 once, and STATUS= whenever the one-line status changed. Called by the loop between events,
    /// so the states it sees are settled ones.
    /// </summary>
    private void ReportToOuterManager()
    {
        if (!_outer.IsEnabled || _outerFailed)
        {
            return;
        }
        string status = HoldStatusLine.Format(_listeners, _machine, _store);
        bool starting = _machine.Generations.Any(g => g.State == GenerationState.Starting);
        bool serving = _machine.Generations.Any(g => g.State == GenerationState.Ready);
        try
        {
            if (_machine.Stopping)
            {
                if (!_outerToldStopping)
                {
                    _outerToldStopping = true;
                    Tell(() => _outer.Stopping(status), status);
                }
            }
            else if (!_outerToldReady)
            {
                _outerReloadAsked = false; // before the first READY=1 a reload is part of starting up
                if (serving)
                {
                    _outerToldReady = true;
                    Tell(() => _outer.Notify(OuterReadyMessage(status)), status);
                }
            }
            else
            {
                if (_outerReloadAsked && !_outerReloading)
                {
                    _outerReloading = true;
                    Tell(() => _outer.Reloading(status), status);
                }
                _outerReloadAsked = false;
                if (_outerReloading && !starting)
                {
                    _outerReloading = false;
                    Tell(() => _outer.Ready(status), status);
                }
            }
            if (status != _outerStatus)
            {
                Tell(() => _outer.Status(status), status);
            }
        }
        catch (FdPassingException e)
        {
            // The manager went away (or never listened): nothing to tell any more, and no reason to stop serving.
            _outerFailed = true;
            _log.Write($"fdpass hold's own NOTIFY_SOCKET no longer takes notifications, so no more are sent: {OneLine.Of(e)}");
        }
    }

    private void Tell(Func<NotifyResult> send, string status)
    {
        send();
        _outerStatus = status;
    }

    /// <summary>
    /// READY=1 and STATUS=, with MAINPID= where fdpass hold is not the process its manager started: a parent with
    /// the same NOTIFY_SOCKET is a wrapper of the same service (a shell that did not exec), which the manager
    /// would otherwise take for the main process.
    /// </summary>
    private string OuterReadyMessage(string status)
    {
        string message = "READY=1\nSTATUS=" + status;
        if (ParentSharesNotifySocket())
        {
            message += "\nMAINPID=" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _log.Write($"told the service manager MAINPID={Environment.ProcessId}: fdpass hold's parent has the same NOTIFY_SOCKET, so it is a wrapper of the service");
        }
        return message;
    }

    private bool ParentSharesNotifySocket()
    {
        try
        {
            CliTarget native = CliTarget.Current;
            int parent = native.Processes.ParentProcessId();
            if (parent <= 1 || native.ProcessPath(native.Constants.PROC_PID_ENVIRON, parent) is not { } environ)
            {
                return false;
            }
            string needle = "NOTIFY_SOCKET=" + _outer.SocketAddress;
            return File.ReadAllText(environ).Split('\0').Contains(needle, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // another user's process, or gone: not a wrapper fdpass hold can see
        }
    }
}
