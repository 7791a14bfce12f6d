using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Platform;

namespace FdPasser.Bsd;

internal sealed unsafe partial class BsdTransport<TAbi>
{
    // Room for a full SCM_RIGHTS message plus one unexpected control message (credentials) to be seen and rejected.
    private static readonly int ReceiveControlSpace =
        (int)TAbi.CmsgSpace((nuint)(TAbi.MaxFdsReceived * sizeof(int))) + (int)TAbi.CmsgSpace(64);

    [SkipLocalsInit]
    public override nint TryReceive(SafeHandle socket, Span<byte> data, Span<int> descriptors, out ReceiveResult result, out int errno)
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
        result = TakeDescriptors(TAbi.MsghdrFlags(msg), TAbi.MsghdrControlLength(msg), control, controlSpace, (int)n, descriptors);
        return n;
    }

    /// <summary>
    /// Walks the control data of a completed recvmsg, moves every received descriptor into
    /// <paramref name="descriptors"/>, and closes them all instead where anything is wrong: the caller either
    /// owns every descriptor that arrived or none is left open.
    /// </summary>
    [SkipLocalsInit]
    private static ReceiveResult TakeDescriptors(int msgFlags, nuint reportedControlLength, byte* control, int controlSpace, int bytes, Span<int> descriptors)
    {
        // macOS reports the untruncated length after MSG_CTRUNC: never trust it past the buffer.
        nuint controlLength = Math.Min(reportedControlLength, (nuint)controlSpace);
        int* found = stackalloc int[TAbi.MaxFdsReceived + 16];
        int capacity = TAbi.MaxFdsReceived + 16;
        int count = 0;
        bool overflow = false;
        int unknownLevel = 0, unknownType = 0;
        bool unknown = false;
        nuint offset = 0;
        nuint header = (nuint)TAbi.CmsgHeaderSize;
        nuint dataOffset = (nuint)TAbi.CmsgHeaderSpace;
        while (controlLength >= header && offset <= controlLength - header)
        {
            byte* cmsg = control + offset;
            TAbi.CmsgRead(cmsg, out nuint length, out int level, out int type);
            if (length < header)
            {
                break;
            }
            nuint clamped = Math.Min(length, controlLength - offset);
            if (level == TAbi.SOL_SOCKET && type == TAbi.SCM_RIGHTS)
            {
                nuint payload = clamped > dataOffset ? clamped - dataOffset : 0;
                int n = (int)(payload / sizeof(int));
                for (int i = 0; i < n; i++)
                {
                    int fd = Unsafe.ReadUnaligned<int>(cmsg + dataOffset + (nuint)(i * sizeof(int)));
                    if (fd < 0)
                    {
                        continue;
                    }
                    if (count < capacity)
                    {
                        found[count++] = fd;
                    }
                    else
                    {
                        // Cannot happen within the buffer's size, but a descriptor we cannot record must not stay open.
                        TAbi.close(fd);
                        overflow = true;
                    }
                }
            }
            else if (!unknown)
            {
                unknown = true;
                unknownLevel = level;
                unknownType = type;
            }
            nuint step = TAbi.CmsgAlign(length);
            if (step < length || step == 0 || step > controlLength - offset)
            {
                break;
            }
            offset += step;
        }

        if (!TAbi.Has_MSG_CMSG_CLOEXEC)
        {
            // No atomic flag here: close the exec window as soon as the descriptors exist.
            for (int i = 0; i < count; i++)
            {
                TAbi.fcntl(found[i], TAbi.F_SETFD, TAbi.FD_CLOEXEC);
            }
        }

        ControlProblem problem =
            (msgFlags & TAbi.MSG_CTRUNC) != 0 ? ControlProblem.Truncated
            : overflow || count > descriptors.Length ? ControlProblem.TooMany
            : unknown ? ControlProblem.UnknownType
            : ControlProblem.None;
        if (problem != ControlProblem.None)
        {
            for (int i = 0; i < count; i++)
            {
                TAbi.close(found[i]);
            }
            return new ReceiveResult(bytes, 0, problem, count, unknownLevel, unknownType);
        }
        new ReadOnlySpan<int>(found, count).CopyTo(descriptors);
        return new ReceiveResult(bytes, count, ControlProblem.None, 0, 0, 0);
    }

    public override ReceiveResult ParseControl(Span<byte> control, nuint reportedLength, int msgFlags, Span<int> descriptors)
    {
        fixed (byte* c = control)
        {
            return TakeDescriptors(msgFlags, reportedLength, c, control.Length, 0, descriptors);
        }
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
