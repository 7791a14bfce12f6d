using System.Runtime.InteropServices;

namespace FdPasser.Platform;

internal sealed partial class ProcessCalls<TAbi>
{
    public override bool ResetSignalToDefault(PosixSignal signal)
    {
        int number = SignalNumber(signal);
        if (!TAbi.Has_signal || !TAbi.Has_SIG_DFL || number == 0)
        {
            throw Missing($"signal() and SIG_DFL for {signal}");
        }
        nint previous = TAbi.signal(number, TAbi.SIG_DFL);
        // The stub clears errno before the call, and signal() sets it only when it fails (returning SIG_ERR).
        int errno = LastErrno;
        if (errno != 0)
        {
            throw Error("signal", errno, $"restoring the default action of {signal}");
        }
        return previous != TAbi.SIG_DFL;
    }
}
