using System;
using System.Runtime.InteropServices;

namespace FdPasser.Platform;

/// <summary>
/// Which transports a platform has: the target (RID) of its socket path, of its STREAMS path, or why it has none.
/// </summary>
/// <param name="Os">The operating system's name as <see cref="PlatformSelection.Select"/> was given it.</param>
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
/// The per-OS choice of transport as a pure function of (OS, architecture, C library), so it can be tested for
/// every platform on any one; <see cref="Current"/> applies it to this process. Linux, macOS and FreeBSD pass
/// descriptors over sockets; illumos (and Solaris) has sockets and STREAMS; anything else has neither.
/// </summary>
internal static class PlatformSelection
{
    public const string Supported =
        "FdPasser passes descriptors on Linux (x64, arm64, arm; glibc and musl), macOS (x64, arm64), FreeBSD x64 and illumos x64 (sockets and STREAMS)";

    /// <param name="os">linux, macos (or osx), freebsd, illumos, solaris, windows, …; case does not matter.</param>
    /// <param name="architecture">The process architecture.</param>
    /// <param name="musl">True where a Linux process runs on musl rather than glibc.</param>
    public static PlatformChoice Select(string os, Architecture architecture, bool musl)
    {
        ArgumentNullException.ThrowIfNull(os);
        string name = os.ToLowerInvariant();
        string? rid = (name, architecture) switch
        {
            ("linux", Architecture.X64) => musl ? "linux-musl-x64" : "linux-x64",
            ("linux", Architecture.Arm64) => "linux-arm64",
            ("linux", Architecture.Arm) => "linux-arm",
            ("macos" or "osx", Architecture.X64) => "osx-x64",
            ("macos" or "osx", Architecture.Arm64) => "osx-arm64",
            ("freebsd", Architecture.X64) => "freebsd-x64",
            ("illumos" or "solaris", Architecture.X64) => "illumos-x64",
            _ => null,
        };
        if (rid is null)
        {
            return new PlatformChoice(os, architecture, null, null, Explain(name, os, architecture));
        }
        string? streams = rid == "illumos-x64" ? rid : null;
        return new PlatformChoice(os, architecture, rid, streams, null);
    }

    private static string Explain(string name, string os, Architecture architecture) => name switch
    {
        "windows" =>
            $"{Supported}. Windows has no Unix descriptor passing (no SCM_RIGHTS, no STREAMS); duplicate handles into the other process with DuplicateHandle instead.",
        "linux" or "macos" or "osx" or "freebsd" or "illumos" or "solaris" =>
            $"{Supported}; there is no ABI description for {os} on {architecture}.",
        _ => $"{Supported}; {os} ({architecture}) is none of these.",
    };

    /// <summary>The choice for this process.</summary>
    public static PlatformChoice Current()
    {
        Architecture arch = RuntimeInformation.ProcessArchitecture;
        string os =
            OperatingSystem.IsLinux() ? "linux" :
            OperatingSystem.IsMacOS() ? "macos" :
            OperatingSystem.IsFreeBSD() ? "freebsd" :
            Transports.IsIllumos() ? "illumos" :
            OperatingSystem.IsWindows() ? "windows" :
            RuntimeInformation.OSDescription;
        bool musl = os == "linux" && arch == Architecture.X64 && Transports.IsMusl();
        return Select(os, arch, musl);
    }
}
