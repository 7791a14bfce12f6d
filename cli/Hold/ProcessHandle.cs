using System;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// A process fdpass hold signals or waits for, held by a pidfd (pidfd_open(2)) from the moment it is known to be the
/// right one: once that process has ended, its number may be given to another, and a signal or a liveness check by
/// number would then reach the wrong process. Where the kernel has no pidfds (before 5.3), by number, as before.
/// </summary>
internal sealed class ProcessHandle : IDisposable
{
    private readonly SafeFileHandle? _pidfd;

    private ProcessHandle(int pid, SafeFileHandle? pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
    }

    public int Pid { get; }

    /// <summary>The pidfd; null where the kernel has none (then the process is known by number only).</summary>
    public SafeFileHandle? Pidfd => _pidfd;

    /// <summary>Takes hold of <paramref name="pid"/> now; null where it is already gone (ESRCH).</summary>
    public static ProcessHandle? Open(int pid)
    {
        CliTarget native = CliTarget.Current;
        SafeFileHandle? pidfd = native.Processes.TryOpenPidfd(pid, out int errno);
        if (pidfd is not null)
        {
            return new ProcessHandle(pid, pidfd);
        }
        return errno == native.Constants.ESRCH ? null : new ProcessHandle(pid, null);
    }

    /// <summary>Holds <paramref name="pid"/> by a pidfd already open for it (a notification's SCM_PIDFD); takes ownership of it.</summary>
    public static ProcessHandle Adopt(int pid, SafeFileHandle pidfd) => new(pid, pidfd);

    /// <summary>Sends the signal (<paramref name="stop"/> for <see cref="HoldSignal.Term"/>) to this process, never to another that took its number; false where it has ended.</summary>
    /// <exception cref="FdPassingException">The signal could not be sent (EPERM, say).</exception>
    public bool Signal(HoldSignal which, PosixSignal stop = PosixSignal.SIGTERM)
    {
        CliTarget native = CliTarget.Current;
        if (_pidfd is null)
        {
            return SignalNames.SendIfAlive(Pid, which, stop);
        }
        int number = which == HoldSignal.Kill ? native.Constants.SIGKILL : native.Processes.SignalNumber(stop);
        int errno = native.Processes.SignalPidfd(_pidfd, number);
        if (errno == 0)
        {
            return true;
        }
        if (errno == native.Constants.ESRCH)
        {
            return false;
        }
        throw native.Error("pidfd_send_signal", errno, $"sending {(which == HoldSignal.Kill ? "SIGKILL" : stop.ToString())} to pid {Pid}");
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> (0: a look) for the process to end; true once it has.</summary>
    public bool WaitForExit(int timeoutMilliseconds)
    {
        if (_pidfd is not null)
        {
            return CliTarget.Current.Processes.WaitForPidfd(_pidfd, timeoutMilliseconds);
        }
        // By number: a zombie not reaped by its parent has ended all the same.
        return !SignalNames.IsAlive(Pid) || CliTarget.Current.Processes.ReadProcessStatus(Pid) is not { HasExited: false };
    }

    public void Dispose() => _pidfd?.Dispose();
}
