using System;
using System.Runtime.InteropServices;
using FdPasser.Bsd;
using FdPasser.Interop;
using FdPasser.Streams;

namespace FdPasser.Platform;

/// <summary>
/// The running target, the one entry to everything per-target: its constants, errno names and errors, and its
/// concerns — <see cref="Sockets"/> (SCM_RIGHTS over Unix sockets), <see cref="Streams"/> (illumos STREAMS),
/// <see cref="Files"/> (files and descriptors), <see cref="Processes"/>, <see cref="Notifications"/> (the
/// service-manager socket) and <see cref="Memory"/> (anonymous shared memory). Each concern is implemented once over
/// a target's generated ABI and picked from the generated table <see cref="AbiTargets"/> in one lookup, from
/// <see cref="PlatformSelection"/>'s choice. Nothing runs at type load: an unsupported OS gets
/// <see cref="PlatformNotSupportedException"/> at first use. The table's cases test the OS intrinsics, which NativeAOT
/// folds to constants, so an AOT binary keeps only its own OS's specializations.
/// </summary>
internal sealed class Target
{
    private static Target? s_current;
    private SocketConcerns? _concerns;
    private StreamsTransport? _streams;

    private Target(PlatformChoice choice) => Choice = choice;

    /// <summary>This process's target.</summary>
    public static Target Current => s_current ??= new Target(PlatformSelection.Current());

    /// <summary>The target of <paramref name="choice"/> (tests select other rows of the table).</summary>
    public static Target For(PlatformChoice choice) => new(choice);

    /// <summary>What this target's platform has.</summary>
    public PlatformChoice Choice { get; }

    public bool IsSupported(FdTransportKind kind) => Choice.Has(kind);

    /// <summary>The target's constants, errno values and paths, as generated from its ABI file.</summary>
    public PlatformConstants Constants => Files.Constants;

    /// <summary>The symbolic name of an errno value on this target (ENOENT), or null where its ABI file does not name it.</summary>
    public string? ErrnoName(int errno) => Files.ErrnoName(errno);

    /// <summary>The error of a failed call: the syscall, the errno and its name, and what was being done.</summary>
    public FdPassingException Error(string syscall, int errno, string context) => Files.Error(syscall, errno, context);

    /// <summary>As <see cref="Error"/>, with the errno the last P/Invoke left.</summary>
    public FdPassingException LastError(string syscall, string context) => Error(syscall, Marshal.GetLastPInvokeError(), context);

    /// <summary>The socket (BSD) transport.</summary>
    public SocketTransport Sockets => Concerns.Sockets;

    /// <summary>The STREAMS transport (illumos only).</summary>
    public StreamsTransport Streams =>
        _streams ??= (StreamsTransport?)AbiTargets.ForStreamsTarget<StreamsFactory>(Choice.StreamsRid) ?? throw NotAvailable(Choice, FdTransportKind.Streams);

    public FileCalls Files => Concerns.Files;

    public ProcessCalls Processes => Concerns.Processes;

    public NotificationCalls Notifications => Concerns.Notifications;

    public MemoryCalls Memory => Concerns.Memory;

    private SocketConcerns Concerns =>
        _concerns ??= (SocketConcerns?)AbiTargets.ForSocketTarget<SocketConcernsFactory>(Choice.SocketRid) ?? throw NotAvailable(Choice, FdTransportKind.Socket);

    /// <summary>The concerns of a socket target, built together by one lookup in the table.</summary>
    private sealed record SocketConcerns(SocketTransport Sockets, FileCalls Files, ProcessCalls Processes, NotificationCalls Notifications, MemoryCalls Memory);

    private readonly struct SocketConcernsFactory : ITargetFactory
    {
        public static object Create<TAbi>() where TAbi : struct, IPlatformAbi => new SocketConcerns(
            BsdTransport<TAbi>.Instance, FileCalls<TAbi>.Instance, ProcessCalls<TAbi>.Instance, NotificationCalls<TAbi>.Instance, MemoryCalls<TAbi>.Instance);
    }

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
