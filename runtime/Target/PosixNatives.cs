using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>This process's <see cref="PosixNative"/>, from the same table of targets as <see cref="Transports.Socket"/>.</summary>
internal static class PosixNatives
{
    private static PosixNative? s_current;

    public static PosixNative Current => s_current ??= For(Transports.Choice);

    internal static PosixNative For(PlatformChoice choice) =>
        Transports.OnSocketTarget<PosixNative, Factory>(choice);

    private readonly struct Factory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => PosixNative<TAbi>.Instance;
    }
}
