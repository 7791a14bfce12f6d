using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>Signals by this system's numbers (from the ABI files), for processes that are not our children.</summary>
internal static class SignalNames
{
    private static readonly PosixSignal[] Named = { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT };

    public static string? Name(int number)
    {
        CliTarget native = CliTarget.Current;
        if (number == native.Constants.SIGKILL)
        {
            return "SIGKILL";
        }
        foreach (PosixSignal s in Named)
        {
            if (native.Processes.SignalNumber(s) == number)
            {
                return s.ToString();
            }
        }
        return null;
    }

    /// <summary>kill() of a pid we did not start (a MAINPID=, a process below a generation); a pid already gone is not an error.</summary>
    public static void Send(int pid, HoldSignal which, PosixSignal stop = PosixSignal.SIGTERM)
    {
        CliTarget native = CliTarget.Current;
        int number = which == HoldSignal.Kill ? native.Constants.SIGKILL : native.Processes.SignalNumber(stop);
        int errno = native.Processes.Kill(pid, number);
        if (errno != 0 && errno != native.Constants.ESRCH)
        {
            throw native.Error("kill", errno, $"sending {(which == HoldSignal.Kill ? "SIGKILL" : stop.ToString())} to pid {pid}");
        }
    }

    /// <summary>As <see cref="Send"/>; false where the process is gone (ESRCH).</summary>
    public static bool SendIfAlive(int pid, HoldSignal which, PosixSignal stop = PosixSignal.SIGTERM)
    {
        if (!IsAlive(pid))
        {
            return false;
        }
        if (which == HoldSignal.Kill || stop == PosixSignal.SIGTERM)
        {
            Send(pid, which);
        }
        else
        {
            CliTarget native = CliTarget.Current;
            int errno = native.Processes.Kill(pid, native.Processes.SignalNumber(stop));
            if (errno != 0 && errno != native.Constants.ESRCH)
            {
                throw native.Error("kill", errno, $"sending {stop} to pid {pid}");
            }
        }
        return true;
    }

    /// <summary>kill(pid, 0): false once the process is gone (ESRCH).</summary>
    public static bool IsAlive(int pid)
    {
        CliTarget native = CliTarget.Current;
        int errno = native.Processes.Kill(pid, 0);
        return errno == 0 || errno != native.Constants.ESRCH;
    }
}
