using System;
using System.Runtime.InteropServices;
using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Streams;

namespace FdPasser.Platform;

/// <summary>
/// Picks the running target's generated ABI once per process, from <see cref="PlatformSelection"/>, through the
/// generated table <see cref="AbiTargets"/>. Nothing here runs at type load: an unsupported OS gets
/// <see cref="PlatformNotSupportedException"/> at first use. The table's cases also test the OS intrinsics, which
/// NativeAOT folds to constants, so an AOT binary keeps only its own OS's specializations (on Linux: x64 glibc and
/// musl, arm64, arm; the architecture is read at run time).
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

    internal static SocketTransport SocketFor(PlatformChoice choice) => OnSocketTarget<SocketTransport, SocketFactory>(choice);

    /// <summary>
    /// What <typeparamref name="TFactory"/> builds for the socket target of <paramref name="choice"/>: the one place
    /// the socket-side surfaces (transport, file calls, process calls) are looked up in the table.
    /// </summary>
    internal static T OnSocketTarget<T, TFactory>(PlatformChoice choice)
        where T : class
        where TFactory : ITargetFactory =>
        (T?)AbiTargets.ForSocketTarget<TFactory>(choice.SocketRid) ?? throw NotAvailable(choice, FdTransportKind.Socket);

    private readonly struct SocketFactory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => BsdTransport<TAbi>.Instance;
    }

    internal static StreamsTransport StreamsFor(PlatformChoice choice) =>
        (StreamsTransport?)AbiTargets.ForStreamsTarget<StreamsFactory>(choice.StreamsRid) ?? throw NotAvailable(choice, FdTransportKind.Streams);

    private readonly struct StreamsFactory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => new StreamsTransport<TAbi>(NativeStreamsCalls<TAbi>.Instance);
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
}
