using System;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary><see cref="ProcessCalls"/> over one target's generated stubs; each call checks the Has_ flags of what it needs, so a target whose ABI file lacks a call says so instead of calling something else.</summary>
internal sealed partial class ProcessCalls<TAbi> : ProcessCalls
    where TAbi : struct, IPlatformAbi
{
    public static readonly ProcessCalls<TAbi> Instance = new();

    public override PlatformConstants Constants => TAbi.Constants;

    public override string? ErrnoName(int errno) => TAbi.ErrnoName(errno);

    private static int LastErrno => TargetCalls<TAbi>.LastErrno;

    private static PlatformNotSupportedException Missing(string what) => TargetCalls<TAbi>.Missing(what);
}
