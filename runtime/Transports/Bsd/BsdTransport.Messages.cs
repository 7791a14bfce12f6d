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

    [SkipLocalsInit]
    public override nint TryReceive(SafeHandle socket, Span<byte> data, DescriptorRoom room, out ReceiveResult result, out int errno)
    {
        int controlSpace = ReceiveControlSpace;
        byte* control = stackalloc byte[controlSpace];
        if (!TAbi.CmsgLenTrustedAfterCtrunc)
        {
            // Every int slot the kernel does not write reads as -1, never a live descriptor number: a cmsg_len past
            // what was delivered (macOS after MSG_CTRUNC) can then not make us take or close somebody else's
            // descriptor. Where the ABI file says the length is trusted (Linux: CMSG_LEN of the descriptors it
            // installed), the fill is skipped.
            new Span<byte>(control, controlSpace).Fill(0xFF);
        }
        byte* iov = stackalloc byte[TAbi.IovecSize];
        byte* msg = stackalloc byte[TAbi.MsghdrSize];
        nint n = RecvMsgCall<TAbi>.Receive(socket, data, control, controlSpace, iov, msg, out errno);
        if (n < 0)
        {
            result = default;
            return -1;
        }
        var messages = new ControlMessages<TAbi>(new ReadOnlySpan<byte>(control, controlSpace), TAbi.MsghdrControlLength(msg), TAbi.MsghdrFlags(msg));
        result = TakeDescriptors(ref messages, room, (int)n);
        return n;
    }

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
