using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// Which transports a platform has: the target (RID) of its socket path, of its STREAMS path, or why it has none.
/// </summary>
/// <param name="Os">The operating system's name as <c>PlatformSelection.Select</c> was given it.</param>
/// <param name="Architecture">The process architecture.</param>
/// <param name="SocketRid">The ABI target of the socket path, or null where there is none.</param>
/// <param name="StreamsRid">The ABI target of the STREAMS path, or null where there is none.</param>
/// <param name="UnsupportedReason">Why descriptors cannot be passed here; null where a transport exists.</param>
internal sealed record PlatformChoice(string Os, Architecture Architecture, string? SocketRid, string? StreamsRid, string? UnsupportedReason)
{
    public bool HasSockets => SocketRid is not null;

    public bool HasStreams => StreamsRid is not null;

    /// <summary>What <c>FdChannel.CreatePair()</c> and <c>FdListener.Create</c> use: sockets wherever they exist.</summary>
    public FdTransportKind? DefaultTransport => HasSockets ? FdTransportKind.Socket : HasStreams ? FdTransportKind.Streams : null;

    public bool Has(FdTransportKind kind) => kind == FdTransportKind.Streams ? HasStreams : HasSockets;
}

/// <summary>
/// The choice of target as a pure function of (OS, architecture, C library) over the table the ABI files generate
/// (<see cref="AbiTargets"/>), so it can be tested for every platform on any one; <c>Current</c> applies it to this
/// process.
/// </summary>
internal static partial class PlatformSelection
{
    public const string Supported = AbiTargets.Supported;

    /// <param name="os">An OS name: linux, macos (or osx), freebsd, illumos (or solaris), windows, …; case does not matter.</param>
    /// <param name="architecture">The process architecture.</param>
    /// <param name="libc">The C library's ABI name (glibc, musl) where the OS has several; null picks the first listed.</param>
    public static PlatformChoice Select(string os, Architecture architecture, string? libc) =>
        Select(AbiTargets.All, os, architecture, libc);

    /// <summary>The choice among <paramref name="targets"/>, ordered as <see cref="AbiTargets.All"/> is.</summary>
    public static PlatformChoice Select(IReadOnlyList<AbiTargetInfo> targets, string os, Architecture architecture, string? libc)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(os);
        string name = os.ToLowerInvariant();
        string? abiOs = AbiTargets.OsNamed(name);
        AbiTargetInfo? first = null, exact = null;
        foreach (AbiTargetInfo t in targets)
        {
            if (t.Os != abiOs || t.Architecture != architecture)
            {
                continue;
            }
            first ??= t;
            if (exact is null && t.Libc == libc)
            {
                exact = t;
            }
        }
        if ((exact ?? first) is not { } target)
        {
            return new PlatformChoice(os, architecture, null, null, Explain(name, abiOs, os, architecture));
        }
        return new PlatformChoice(os, architecture, target.Sockets ? target.Rid : null, target.Streams ? target.Rid : null, null);
    }

    private static string Explain(string name, string? abiOs, string os, Architecture architecture) =>
        name == "windows"
            ? $"{Supported}. Windows has no Unix descriptor passing (no SCM_RIGHTS, no STREAMS); duplicate handles into the other process with DuplicateHandle instead."
            : abiOs is not null
                ? $"{Supported}; there is no ABI description for {os} on {architecture}."
                : $"{Supported}; {os} ({architecture}) is none of these.";
}
