using System;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// This process's <see cref="PosixNative"/>, chosen like <see cref="Transports.Socket"/> from
/// <see cref="PlatformSelection"/>, with the OS checks NativeAOT folds.
/// </summary>
internal static class PosixNatives
{
    private static PosixNative? s_current;

    public static PosixNative Current => s_current ??= For(Transports.Choice);

    internal static PosixNative For(PlatformChoice choice)
    {
        switch (choice.SocketRid)
        {
            case "linux-x64" when OperatingSystem.IsLinux() && Is(Architecture.X64):
                return PosixNative<LinuxX64.Abi>.Instance;
            case "linux-musl-x64" when OperatingSystem.IsLinux() && Is(Architecture.X64):
                return PosixNative<LinuxMuslX64.Abi>.Instance;
            case "linux-arm64" when OperatingSystem.IsLinux() && Is(Architecture.Arm64):
                return PosixNative<LinuxArm64.Abi>.Instance;
            case "linux-arm" when OperatingSystem.IsLinux() && Is(Architecture.Arm):
                return PosixNative<LinuxArm.Abi>.Instance;
            case "osx-x64" when OperatingSystem.IsMacOS() && Is(Architecture.X64):
                return PosixNative<OsxX64.Abi>.Instance;
            case "osx-arm64" when OperatingSystem.IsMacOS() && Is(Architecture.Arm64):
                return PosixNative<OsxArm64.Abi>.Instance;
            case "freebsd-x64" when OperatingSystem.IsFreeBSD() && Is(Architecture.X64):
                return PosixNative<FreebsdX64.Abi>.Instance;
            case "illumos-x64" when Transports.IsIllumos() && Is(Architecture.X64):
                return PosixNative<IllumosX64.Abi>.Instance;
        }
        throw new System.PlatformNotSupportedException(choice.UnsupportedReason ??
            $"{choice.SocketRid} cannot be used in this process, which runs on {RuntimeInformation.OSDescription}.");
    }

    private static bool Is(Architecture architecture) => RuntimeInformation.ProcessArchitecture == architecture;
}
