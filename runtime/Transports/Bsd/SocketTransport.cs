using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FdPasser.Protocol;

namespace FdPasser.Platform;

/// <summary>Why the control data of a receive could not be accepted; the descriptors that came were closed.</summary>
internal enum ControlProblem
{
    None,

    /// <summary>MSG_CTRUNC: the kernel dropped control data (a short buffer, or RLIMIT_NOFILE on the receiver).</summary>
    Truncated,

    /// <summary>More descriptors arrived than the caller asked for.</summary>
    TooMany,

    /// <summary>A control message other than SCM_RIGHTS arrived.</summary>
    UnknownType,

    /// <summary>A cmsg_len no kernel writes (shorter than a header, or past the control data): the rest could not be read.</summary>
    Malformed,
}

/// <summary>The outcome of one receive: bytes read, descriptors taken, and any control-data problem.</summary>
internal readonly struct ReceiveResult
{
    public ReceiveResult(int bytes, int descriptors, ControlProblem problem, int closed, int unknownLevel, int unknownType)
    {
        Bytes = bytes;
        Descriptors = descriptors;
        Problem = problem;
        Closed = closed;
        UnknownLevel = unknownLevel;
        UnknownType = unknownType;
    }

    public int Bytes { get; }

    public int Descriptors { get; }

    public ControlProblem Problem { get; }

    /// <summary>Descriptors that arrived and were closed because of <see cref="Problem"/>.</summary>
    public int Closed { get; }

    public int UnknownLevel { get; }

    public int UnknownType { get; }
}

/// <summary>
/// The native operations of the socket path, implemented once per target by <c>BsdTransport&lt;TAbi&gt;</c>.
/// Methods named Try… return -1 and an errno where the call would block or failed; the rest throw
/// <see cref="FdPassingException"/> naming the call and errno.
/// </summary>
internal abstract class SocketTransport : FdTransport
{
    public override FdTransportKind Kind => FdTransportKind.Socket;

    public override string SendCall => "sendmsg";

    public override string ReceiveCall => "recvmsg";

    public override string AcceptCall => "accept";

    public abstract void CreatePair(out SafeSocketHandle first, out SafeSocketHandle second);

    /// <summary><c>socketpair(AF_UNIX, SOCK_SEQPACKET)</c>, both ends close-on-exec: message boundaries are kept.</summary>
    public abstract void CreateSeqPacketPair(out SafeSocketHandle first, out SafeSocketHandle second);

    public override void CreateWakePair(out SafeHandle reader, out SafeHandle writer)
    {
        CreatePair(out SafeSocketHandle first, out SafeSocketHandle second);
        reader = first;
        writer = second;
    }

    /// <summary>A new unconnected stream socket, close-on-exec.</summary>
    public abstract SafeSocketHandle CreateSocket();

    /// <summary>connect(); returns 0 or an errno (never throws for a refused or missing endpoint).</summary>
    public abstract int TryConnect(SafeSocketHandle socket, ReadOnlySpan<byte> address);

    public abstract void Bind(SafeSocketHandle socket, ReadOnlySpan<byte> address, string display);

    public abstract void Listen(SafeSocketHandle socket, int backlog);

    /// <summary>accept(); null with errno where none is pending (EAGAIN) or the call failed.</summary>
    public abstract SafeSocketHandle? TryAccept(SafeSocketHandle listener, out int errno);

    public override SafeHandle? TryAcceptHandle(SafeHandle listener, out int errno) => TryAccept((SafeSocketHandle)listener, out errno);

    /// <summary>
    /// The control-data parser of <see cref="FdTransport.TryReceive"/> on a buffer of the caller's: what a recvmsg
    /// that returned this control data, this msg_controllen and these flags would have yielded.
    /// </summary>
    public abstract ReceiveResult ParseControl(ReadOnlySpan<byte> control, nuint reportedLength, int msgFlags, DescriptorRoom room);

    public abstract int CmsgSpace(int dataBytes);

    public abstract int CmsgLen(int dataBytes);

    public abstract void WriteCmsgHeader(Span<byte> destination, int length, int level, int type);

    /// <summary>Sets O_NONBLOCK, so accept() and connect() answer EAGAIN instead of parking a thread.</summary>
    public abstract void SetNonBlocking(SafeHandle handle);

    public abstract int GetSocketType(SafeHandle handle, out int errno);

    /// <summary>lstat() a path: null where it does not exist, otherwise whether it is a socket.</summary>
    public abstract bool? IsSocketFile(string path);

    public abstract void Unlink(string path);

    /// <summary>
    /// Sets a just-bound socket file's permission bits with <c>fchmodat(AT_SYMLINK_NOFOLLOW)</c>: where somebody has
    /// swapped a symlink in for it, the call fails instead of changing the mode of whatever the link points to.
    /// </summary>
    public abstract void SetEndpointMode(string path, System.IO.UnixFileMode mode);

    /// <summary>Removes the socket file, if the path still holds a socket.</summary>
    public override void RemoveEndpointFile(string path)
    {
        if (IsSocketFile(path) == true)
        {
            Unlink(path);
        }
    }

    /// <summary>The sockaddr_un for a path (or a Linux abstract name); throws where it does not fit.</summary>
    public abstract byte[] Address(string name, bool isAbstract);

    public abstract bool SupportsAbstractNames { get; }
}
