using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Platform;

namespace FdPasser.Bsd;

// The send path: one sendmsg of a single buffer with the descriptors in one SCM_RIGHTS control message.
internal sealed unsafe partial class BsdTransport<TAbi>
{
    // A message of a few descriptors is built in a fixed-size local instead of stack allocations: a method with a
    // stackalloc and a loop cannot be tiered (on-stack replacement does not handle localloc), so the runtime jits it
    // once, fully optimized but without profile data, and it never moves next to the rest of the hot path.
    private const int SmallMsghdr = 64;
    private const int SmallIovec = 16;
    private const int SmallControl = 48;

    [StructLayout(LayoutKind.Sequential)]
    private struct SmallMessage
    {
        public fixed ulong Words[(SmallMsghdr + SmallIovec + SmallControl) / sizeof(ulong)];
    }

    [SkipLocalsInit]
    public override nint TrySend(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, out int errno)
    {
        int controlLength = descriptors.Length == 0 ? 0 : (int)TAbi.CmsgSpace((nuint)(descriptors.Length * sizeof(int)));
        if (controlLength > SmallControl || TAbi.MsghdrSize > SmallMsghdr || TAbi.IovecSize > SmallIovec)
        {
            return TrySendLarge(socket, data, descriptors, out errno);
        }
        SmallMessage message;
        byte* msg = (byte*)message.Words;
        byte* iov = msg + SmallMsghdr;
        byte* control = iov + SmallIovec;
        if (controlLength > 0)
        {
            // Padding must be zero: kernels check cmsg_len against msg_controllen, and stray bytes look like a header.
            new Span<byte>(control, SmallControl).Clear();
            TAbi.CmsgWrite(control, TAbi.CmsgLen((nuint)(descriptors.Length * sizeof(int))), TAbi.SOL_SOCKET, TAbi.SCM_RIGHTS);
            int* numbers = (int*)(control + TAbi.CmsgHeaderSpace);
            for (int i = 0; i < descriptors.Length; i++)
            {
                numbers[i] = descriptors[i];
            }
        }
        return SendMessage(socket, data, msg, iov, controlLength > 0 ? control : null, controlLength, out errno);
    }

    /// <summary>A message of more descriptors than <see cref="SmallMessage"/> holds: its control data on the stack.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint TrySendLarge(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, out int errno)
    {
        if (descriptors.Length > TAbi.MaxFdsPerMessage)
        {
            throw new ArgumentException(
                $"{descriptors.Length} descriptors do not fit in one message: {TAbi.Rid} passes at most {TAbi.MaxFdsPerMessage}.",
                nameof(descriptors));
        }
        int controlLength = (int)TAbi.CmsgSpace((nuint)(descriptors.Length * sizeof(int)));
        byte* control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        TAbi.CmsgWrite(control, TAbi.CmsgLen((nuint)(descriptors.Length * sizeof(int))), TAbi.SOL_SOCKET, TAbi.SCM_RIGHTS);
        descriptors.CopyTo(new Span<int>(control + TAbi.CmsgHeaderSpace, descriptors.Length));
        byte* iov = stackalloc byte[TAbi.IovecSize];
        byte* msg = stackalloc byte[TAbi.MsghdrSize];
        return SendMessage(socket, data, msg, iov, control, controlLength, out errno);
    }

    // Out of line on purpose: where the channel's send inlines TrySend (guarded devirtualization) into a try region
    // with a catch, the JIT does not inline a P/Invoke there and calls sendmsg through a marshalling stub instead.
    // In a method of its own the P/Invoke stays inline whatever the caller's exception handling.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SendMessage(SafeHandle socket, ReadOnlySpan<byte> data, byte* msg, byte* iov, byte* control, int controlLength, out int errno)
    {
        int flags = TAbi.MSG_DONTWAIT | (TAbi.Has_MSG_NOSIGNAL ? TAbi.MSG_NOSIGNAL : 0);
        using var scope = new FdScope(socket);
        fixed (byte* p = data)
        {
            TAbi.IovecSet(iov, p, (nuint)data.Length);
            TAbi.MsghdrInit(msg, iov, 1, control, (nuint)controlLength);
            nint n = TAbi.sendmsg(scope.Fd, msg, flags);
            if (n >= 0)
            {
                errno = 0;
                return n;
            }
            errno = LastErrno;
            return errno == TAbi.EINTR ? SendAgain(scope.Fd, msg, flags, out errno) : -1;
        }
    }

    /// <summary>The retry after EINTR, kept out of the hot path so that it has no loop.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SendAgain(int fd, byte* msg, int flags, out int errno)
    {
        while (true)
        {
            nint n = TAbi.sendmsg(fd, msg, flags);
            if (n >= 0)
            {
                errno = 0;
                return n;
            }
            errno = LastErrno;
            if (errno != TAbi.EINTR)
            {
                return -1;
            }
        }
    }
}
