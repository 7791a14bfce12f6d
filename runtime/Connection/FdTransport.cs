using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Interop;
using FdPasser.Protocol;

namespace FdPasser.Platform;

/// <summary>
/// What a channel and a listener need from a transport, whichever it is: <see cref="SocketTransport"/>
/// (sendmsg/recvmsg with SCM_RIGHTS) or <c>StreamsTransport</c> (write/getmsg with I_SENDFD/I_RECVFD).
/// Methods named Try… return -1 and an errno where the call would block or failed; the rest throw
/// <see cref="FdPassingException"/> naming the call and errno.
/// </summary>
internal abstract class FdTransport
{
    public abstract FdTransportKind Kind { get; }

    /// <summary>The most descriptors one message may carry when sending.</summary>
    public abstract int MaxDescriptorsPerMessage { get; }

    /// <summary>The most descriptors one received message may bring: the kernel's limit, which a C library's send limit may be below.</summary>
    public virtual int MaxDescriptorsReceived => MaxDescriptorsPerMessage;

    /// <summary>The target's constants and errno values, as generated from its ABI file.</summary>
    public abstract PlatformConstants Constants { get; }

    public abstract string? ErrnoName(int errno);

    /// <summary>The call <see cref="TrySend"/> reports in errors (<c>sendmsg</c>, <c>write</c>).</summary>
    public abstract string SendCall { get; }

    /// <summary>The call <see cref="TryReceive"/> reports in errors (<c>recvmsg</c>, <c>getmsg</c>).</summary>
    public abstract string ReceiveCall { get; }

    /// <summary>The call <see cref="TryAcceptHandle"/> reports in errors (<c>accept</c>, <c>ioctl(I_RECVFD)</c>).</summary>
    public abstract string AcceptCall { get; }

    public FdPassingException Error(string syscall, int errno, string context) =>
        new(syscall, errno, ErrnoName(errno), context);

    public FdPassingException LastError(string syscall, string context) => Error(syscall, Marshal.GetLastPInvokeError(), context);

    /// <summary>poll() one descriptor; true when it is ready. A negative timeout waits for ever.</summary>
    public bool Poll(SafeHandle handle, bool forWrite, int timeoutMilliseconds) => Poll(handle, null, forWrite, timeoutMilliseconds) > 0;

    /// <summary>
    /// poll() one descriptor and, where given, the reading end of a wake-up pair: 1 when the descriptor is ready,
    /// 0 on time-out, -1 when the wake-up end became readable first. A negative timeout waits for ever.
    /// </summary>
    public abstract int Poll(SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds);

    private WakePair? _wakes;

    /// <summary>The wake-up pair every blocking wait on this transport polls, so that a disposal can end it.</summary>
    public WakePair Wakes => Volatile.Read(ref _wakes) ?? Interlocked.CompareExchange(ref _wakes, new WakePair(this), null) ?? _wakes!;

    /// <summary>Ends every wait of this transport's readiness poller on <paramref name="handle"/> (its owner is being disposed).</summary>
    public virtual void AbortWaits(SafeHandle handle) => ReadinessPoller.SharedIfStarted?.Abort(handle);

    /// <summary>poll() many descriptors; <paramref name="revents"/> receives each one's ready events. EINTR returns 0.</summary>
    public abstract int PollMany(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds);

    /// <summary>A connected pair of this transport's descriptors, for a <see cref="ReadinessPoller"/> to be woken through.</summary>
    public abstract void CreateWakePair(out SafeHandle reader, out SafeHandle writer);

    public abstract nint TrySend(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, out int errno);

    /// <summary>
    /// One receive into <paramref name="data"/>; every descriptor that arrives is put into <paramref name="room"/>'s
    /// owner as the control data is walked (the result counts them), or, where the control data is refused, closed
    /// through that owner (the result says why and how many).
    /// </summary>
    public abstract nint TryReceive(SafeHandle socket, Span<byte> data, DescriptorRoom room, out ReceiveResult result, out int errno);

    public abstract PeerCredentials GetPeerCredentials(SafeHandle socket);

    public abstract void SetCloseOnExec(SafeHandle handle, bool closeOnExec);

    public abstract int CloseDescriptor(int fd);

    /// <summary>Takes one pending connection from a listener; null with errno where none is pending (EAGAIN) or the call failed.</summary>
    public abstract SafeHandle? TryAcceptHandle(SafeHandle listener, out int errno);

    /// <summary>Removes a listener's filesystem name when it closes; never throws for a name that is already gone.</summary>
    public abstract void RemoveEndpointFile(string path);

    /// <summary>
    /// Completes when the descriptor is readable or writable (or has failed: the next call reports why), without
    /// blocking a thread: the process's one <see cref="ReadinessPoller"/> waits.
    /// </summary>
    public virtual ValueTask WaitAsync(SafeHandle handle, bool forWrite, CancellationToken cancellationToken) => new(forWrite
        ? ReadinessPoller.Shared.WaitWritableAsync(handle, cancellationToken)
        : ReadinessPoller.Shared.WaitReadableAsync(handle, cancellationToken));
}
