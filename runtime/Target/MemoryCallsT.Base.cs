using System;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary><see cref="MemoryCalls"/> over one target's generated stubs.</summary>
internal sealed partial class MemoryCalls<TAbi> : MemoryCalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly MemoryCalls<TAbi> Instance = new();

    public override PlatformConstants Constants => TAbi.Constants;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => TargetCalls<TAbi>.LastErrno;

    private static PlatformNotSupportedException Missing(string what) => TargetCalls<TAbi>.Missing(what);
}
