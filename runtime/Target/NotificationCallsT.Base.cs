using System;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary><see cref="NotificationCalls"/> over one target's generated stubs.</summary>
internal sealed partial class NotificationCalls<TAbi> : NotificationCalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly NotificationCalls<TAbi> Instance = new();

    public override PlatformConstants Constants => TAbi.Constants;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => TargetCalls<TAbi>.LastErrno;

    private static PlatformNotSupportedException Missing(string what) => TargetCalls<TAbi>.Missing(what);
}
