using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Protocol;

namespace FdPasser.Bsd;

internal sealed unsafe partial class BsdTransport<TAbi>
{
    // Room for a full SCM_RIGHTS message plus one unexpected control message (credentials) to be seen and rejected.
    private static readonly int ReceiveControlSpace =
        (int)TAbi.CmsgSpace((nuint)(TAbi.MaxFdsReceived * sizeof(int))) + (int)TAbi.CmsgSpace(64);

    // The receive's msghdr, iovec and control buffer in one fixed-size local, for the same reason as the send's
    // SmallMessage: with a stackalloc the method is jitted once without profile data and is never inlined. It holds
    // the control space of every target whose limit is near 253 descriptors (1,112 bytes on 64-bit Linux and the
    // BSDs); a target with a larger one (illumos: 2,045) takes the stack-allocated path.
    private const int ReceiveControlRoom = 1152;

    [StructLayout(LayoutKind.Sequential)]
    private struct ReceiveBlock
    {
        public fixed ulong Words[(SmallMsghdr + SmallIovec + ReceiveControlRoom) / sizeof(ulong)];
    }

    [SkipLocalsInit]
    public override nint TryReceive(SafeHandle socket, Span<byte> data, DescriptorRoom room, out ReceiveResult result, out int errno)
    {
        int controlSpace = ReceiveControlSpace;
        if (controlSpace > ReceiveControlRoom || TAbi.MsghdrSize > SmallMsghdr || TAbi.IovecSize > SmallIovec)
        {
            return TryReceiveLarge(socket, data, room, out result, out errno);
        }
        ReceiveBlock block;
        byte* msg = (byte*)block.Words;
        byte* iov = msg + SmallMsghdr;
        byte* control = iov + SmallIovec;
        return ReceiveInto(socket, data, room, msg, iov, control, controlSpace, out result, out errno);
    }

    /// <summary>A target whose control space does not fit <see cref="ReceiveBlock"/>: its buffers on the stack.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private nint TryReceiveLarge(SafeHandle socket, Span<byte> data, DescriptorRoom room, out ReceiveResult result, out int errno)
    {
        int controlSpace = ReceiveControlSpace;
        byte* control = stackalloc byte[controlSpace];
        byte* iov = stackalloc byte[TAbi.IovecSize];
        byte* msg = stackalloc byte[TAbi.MsghdrSize];
        return ReceiveInto(socket, data, room, msg, iov, control, controlSpace, out result, out errno);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint ReceiveInto(SafeHandle socket, Span<byte> data, DescriptorRoom room, byte* msg, byte* iov, byte* control, int controlSpace, out ReceiveResult result, out int errno)
    {
        if (!TAbi.CmsgLenTrustedAfterCtrunc)
        {
            // Every int slot the kernel does not write reads as -1, never a live descriptor number: a cmsg_len past
            // what was delivered (macOS after MSG_CTRUNC) can then not make us take or close somebody else's
            // descriptor. Where the ABI file says the length is trusted (Linux: CMSG_LEN of the descriptors it
            // installed), the fill is skipped.
            new Span<byte>(control, controlSpace).Fill(0xFF);
        }
        nint n = ReceiveMessage(socket, data, control, controlSpace, iov, msg, out errno);
        if (n < 0)
        {
            result = default;
            return -1;
        }
        var messages = new ControlMessages<TAbi>(new ReadOnlySpan<byte>(control, controlSpace), TAbi.MsghdrControlLength(msg), TAbi.MsghdrFlags(msg));
        result = TakeDescriptors(ref messages, room, (int)n);
        return n;
    }

    // Out of line on purpose, as the send's SendMessage: once TryReceive is inlined into a caller whose try has a
    // catch, a P/Invoke there would go through a marshalling stub; here recvmsg stays inline.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint ReceiveMessage(SafeHandle socket, Span<byte> data, byte* control, int controlSpace, byte* iov, byte* msg, out int errno) =>
        RecvMsgCall<TAbi>.Receive(socket, data, control, controlSpace, iov, msg, out errno);

    private ReceivedDescriptors? _refusals;

    /// <summary>The owner that closes what a receive with no room (a wake-up pair's drain) brings.</summary>
    private ReceivedDescriptors Refusals => _refusals ??= new ReceivedDescriptors(this, 0);

    /// <summary>
    /// Puts every descriptor the control data brought into <paramref name="room"/>'s owner as it is walked, and has
    /// the owner close this receive's share where anything is wrong: the caller's owner then holds every descriptor
    /// that arrived, or none of them is left open.
    /// </summary>
    private ReceiveResult TakeDescriptors(ref ControlMessages<TAbi> messages, DescriptorRoom room, int bytes)
    {
        ReceivedDescriptors owner = room.Owner ?? Refusals;
        int mark = owner.Count;
        int end = mark + room.Limit;
        int refused = 0;
        bool unknown = false;
        int unknownLevel = 0, unknownType = 0;
        while (messages.MoveNext())
        {
            ControlMessage message = messages.Current;
            if (message.Kind is ControlMessageKind.Rights or ControlMessageKind.Pidfd)
            {
                for (int i = 0; i < message.DescriptorCount; i++)
                {
                    int fd = message.Descriptor(i);
                    if (fd < 0)
                    {
                        continue; // never written (the 0xFF fill), or a pidfd's errno
                    }
                    if (!TAbi.Has_MSG_CMSG_CLOEXEC)
                    {
                        // No atomic flag here: close the exec window as soon as the descriptor exists.
                        TAbi.fcntl(fd, TAbi.F_SETFD, TAbi.FD_CLOEXEC);
                    }
                    if (!owner.Take(fd, end))
                    {
                        refused++;
                    }
                }
            }
            if (message.Kind != ControlMessageKind.Rights && !unknown)
            {
                // A channel asks for nothing but SCM_RIGHTS: a pidfd (SO_PASSPIDFD set by someone else) is closed with the rest.
                unknown = true;
                unknownLevel = message.Level;
                unknownType = message.Type;
            }
        }

        ControlProblem problem =
            messages.Truncated ? ControlProblem.Truncated
            : messages.Malformed ? ControlProblem.Malformed
            : refused > 0 ? ControlProblem.TooMany
            : unknown ? ControlProblem.UnknownType
            : ControlProblem.None;
        if (problem != ControlProblem.None)
        {
            return new ReceiveResult(bytes, 0, problem, refused + owner.CloseSince(mark), unknownLevel, unknownType);
        }
        return new ReceiveResult(bytes, owner.Count - mark, ControlProblem.None, 0, 0, 0);
    }

    public override ReceiveResult ParseControl(ReadOnlySpan<byte> control, nuint reportedLength, int msgFlags, DescriptorRoom room)
    {
        var messages = new ControlMessages<TAbi>(control, reportedLength, msgFlags);
        return TakeDescriptors(ref messages, room, 0);
    }

    public override int CmsgSpace(int dataBytes) => (int)TAbi.CmsgSpace((nuint)dataBytes);

    public override int CmsgLen(int dataBytes) => (int)TAbi.CmsgLen((nuint)dataBytes);

    public override void WriteCmsgHeader(Span<byte> destination, int length, int level, int type)
    {
        if (destination.Length < TAbi.CmsgHeaderSize)
        {
            throw new ArgumentException("too small for a cmsghdr", nameof(destination));
        }
        fixed (byte* d = destination)
        {
            TAbi.CmsgWrite(d, (nuint)length, level, type);
        }
    }

    public override PeerCredentials GetPeerCredentials(SafeHandle socket)
    {
        using var scope = new FdScope(socket);
        switch (TAbi.PeerCredentials)
        {
            case Interop.PeerCredentialMethod.SoPeerCred:
            {
                byte* buffer = stackalloc byte[TAbi.PeerCredSize];
                uint length = (uint)TAbi.PeerCredSize;
                if (TAbi.getsockopt(scope.Fd, TAbi.SOL_SOCKET, TAbi.SO_PEERCRED, buffer, &length) != 0)
                {
                    throw LastError("getsockopt", "reading the peer's credentials (SO_PEERCRED)");
                }
                TAbi.PeerCredRead(buffer, out int pid, out uint uid, out uint gid);
                return new PeerCredentials(pid, uid, gid);
            }
            case Interop.PeerCredentialMethod.LocalPeerCred:
            {
                byte* buffer = stackalloc byte[TAbi.PeerCredSize];
                new Span<byte>(buffer, TAbi.PeerCredSize).Clear();
                uint length = (uint)TAbi.PeerCredSize;
                if (TAbi.getsockopt(scope.Fd, TAbi.SOL_LOCAL, TAbi.LOCAL_PEERCRED, buffer, &length) != 0)
                {
                    throw LastError("getsockopt", "reading the peer's credentials (LOCAL_PEERCRED)");
                }
                TAbi.PeerCredRead(buffer, out int pid, out uint uid, out uint gid);
                if (pid <= 0 && TAbi.Has_LOCAL_PEERPID)
                {
                    int peerPid = -1;
                    uint pidLength = sizeof(int);
                    pid = TAbi.getsockopt(scope.Fd, TAbi.SOL_LOCAL, TAbi.LOCAL_PEERPID, &peerPid, &pidLength) == 0 ? peerPid : -1;
                }
                return new PeerCredentials(pid <= 0 ? -1 : pid, uid, gid);
            }
            default:
            {
                void* ucred = null;
                if (TAbi.getpeerucred(scope.Fd, &ucred) != 0)
                {
                    throw LastError("getpeerucred", "reading the peer's credentials");
                }
                try
                {
                    return new PeerCredentials(TAbi.ucred_getpid(ucred), TAbi.ucred_geteuid(ucred), TAbi.ucred_getegid(ucred));
                }
                finally
                {
                    TAbi.ucred_free(ucred);
                }
            }
        }
    }
}
