using System;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// What every concern of the target (<see cref="FileCalls"/>, <see cref="ProcessCalls"/>,
/// <see cref="NotificationCalls"/>, <see cref="MemoryCalls"/>) shares: the target's constants and errno names, and
/// the one way an error is built (syscall, errno, its name, and what was being done).
/// </summary>
internal abstract class TargetCalls
{
    /// <summary>The target's constants, errno values and paths, as generated from its ABI file.</summary>
    public abstract PlatformConstants Constants { get; }

    public abstract string? ErrnoName(int errno);

    public FdPassingException Error(string syscall, int errno, string context) => new(syscall, errno, ErrnoName(errno), context);

    public FdPassingException LastError(string syscall, string context) => Error(syscall, Marshal.GetLastPInvokeError(), context);
}

/// <summary>The helpers each concern's implementation over <typeparamref name="TAbi"/> reads.</summary>
internal static class TargetCalls<TAbi>
    where TAbi : struct, IPlatformAbi
{
    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static PlatformNotSupportedException Missing(string what) =>
        new($"{what} is not described for {TAbi.Rid} (abi/{TAbi.Rid}.abi), so it is not available on this system.");
}
