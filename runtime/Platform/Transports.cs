using System;
using System.Runtime.InteropServices;
using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Streams;

namespace FdPasser.Platform;

/// <summary>
/// Picks the running target's generated ABI once per process, from <see cref="PlatformSelection"/>. Nothing here
/// runs at type load: an unsupported OS gets <see cref="PlatformNotSupportedException"/> at first use. Each branch
/// also tests the OS intrinsic, which NativeAOT folds to a constant for its target, so an AOT binary keeps only
/// its own OS's specializations (on Linux: x64 glibc and musl, arm64, arm; the architecture is read at run time).
/// </summary>
internal static class Transports
{
    private static PlatformChoice? s_choice;
    private static SocketTransport? s_socket;
    private static StreamsTransport? s_streams;

    /// <summary>What this process's platform has.</summary>
    public static PlatformChoice Choice => s_choice ??= PlatformSelection.Current();

    /// <summary>The socket (BSD) path of this process's target.</summary>
    public static SocketTransport Socket => s_socket ??= SocketFor(Choice);

    /// <summary>The STREAMS path of this process's target (illumos only).</summary>
    public static StreamsTransport Streams => s_streams ??= StreamsFor(Choice);

    public static bool IsSupported(FdTransportKind kind) => Choice.Has(kind);

    internal static SocketTransport SocketFor(PlatformChoice choice) =>
        (SocketTransport?)ForSocketTarget<SocketFactory>(choice) ?? throw NotAvailable(choice, FdTransportKind.Socket);

    /// <summary>
    /// The one table of socket targets: what <typeparamref name="TFactory"/> builds for the target of
    /// <paramref name="choice"/>, or null where this process cannot use it.
    /// </summary>
    internal static object? ForSocketTarget<TFactory>(PlatformChoice choice)
        where TFactory : ITargetFactory
    {
        switch (choice.SocketRid)
        {
            case "linux-x64" when OperatingSystem.IsLinux() && Is(Architecture.X64):
                return TFactory.Create<LinuxX64.Abi>();
            case "linux-musl-x64" when OperatingSystem.IsLinux() && Is(Architecture.X64):
                return TFactory.Create<LinuxMuslX64.Abi>();
            case "linux-arm64" when OperatingSystem.IsLinux() && Is(Architecture.Arm64):
                return TFactory.Create<LinuxArm64.Abi>();
            case "linux-arm" when OperatingSystem.IsLinux() && Is(Architecture.Arm):
                return TFactory.Create<LinuxArm.Abi>();
            case "osx-x64" when OperatingSystem.IsMacOS() && Is(Architecture.X64):
                return TFactory.Create<OsxX64.Abi>();
            case "osx-arm64" when OperatingSystem.IsMacOS() && Is(Architecture.Arm64):
                return TFactory.Create<OsxArm64.Abi>();
            case "freebsd-x64" when OperatingSystem.IsFreeBSD() && Is(Architecture.X64):
                return TFactory.Create<FreebsdX64.Abi>();
            case "illumos-x64" when IsIllumos() && Is(Architecture.X64):
                return TFactory.Create<IllumosX64.Abi>();
        }
        return null;
    }

    private readonly struct SocketFactory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => BsdTransport<TAbi>.Instance;
    }

    internal static StreamsTransport StreamsFor(PlatformChoice choice)
    {
        if (choice.StreamsRid == "illumos-x64" && IsIllumos() && Is(Architecture.X64))
        {
            return new StreamsTransport<IllumosX64.Abi>(NativeStreamsCalls<IllumosX64.Abi>.Instance);
        }
        throw NotAvailable(choice, FdTransportKind.Streams);
    }

    internal static PlatformNotSupportedException NotAvailable(PlatformChoice choice, FdTransportKind kind)
    {
        if (choice.UnsupportedReason is { } reason)
        {
            return new PlatformNotSupportedException(reason);
        }
        if (kind == FdTransportKind.Streams && !choice.HasStreams)
        {
            return new PlatformNotSupportedException(
                $"STREAMS descriptor passing (I_SENDFD/I_RECVFD, connld) exists only on illumos and Solaris; on {choice.Os} descriptors travel over Unix sockets (FdTransportKind.Socket).");
        }
        return new PlatformNotSupportedException(
            $"The {kind} transport of {choice.SocketRid ?? choice.StreamsRid} cannot be used in this process, which runs on {RuntimeInformation.OSDescription}.");
    }

    /// <summary>
    /// illumos or Solaris. The named OS checks come first: they are constants under NativeAOT, so on Linux, macOS
    /// and FreeBSD this is a constant false and the illumos code is dropped (IsOSPlatform(string) alone is not).
    /// </summary>
    internal static bool IsIllumos() =>
        !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD() && !OperatingSystem.IsWindows() &&
        (OperatingSystem.IsOSPlatform("illumos") || OperatingSystem.IsOSPlatform("solaris"));

    // Not folded by NativeAOT (unlike the OS checks): a Linux binary keeps the Linux specializations of every
    // architecture, which costs little; the hardware-intrinsic IsSupported checks would fold, but read false when
    // intrinsics are switched off, and would then refuse a supported machine.
    private static bool Is(Architecture architecture) => RuntimeInformation.ProcessArchitecture == architecture;

    internal static PlatformNotSupportedException Unsupported() => new(
        $"{PlatformSelection.Supported}; " +
        $"this process runs on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.RuntimeIdentifier}), " +
        "for which it has no ABI description.");

    internal static bool IsMusl()
    {
        string rid = RuntimeInformation.RuntimeIdentifier;
        if (rid.Contains("musl", StringComparison.Ordinal))
        {
            return true;
        }
        // Portable builds report linux-x64 on either C library: glibc is the one that provides libc.so.6.
        if (NativeLibrary.TryLoad("libc.so.6", out IntPtr glibc))
        {
            NativeLibrary.Free(glibc);
            return false;
        }
        return true;
    }
}
