using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// One non-blocking recvmsg of a single data buffer and a control buffer, retried on EINTR, asking for received
/// descriptors to arrive close-on-exec where the target can. Shared by the channel receive and the notification
/// receive so both make the call the same way; the caller owns <c>iov</c> and <c>msg</c>
/// (stack memory: a method that allocates on the stack is not inlined) and reads the flags and control length
/// from <c>msg</c> afterwards.
/// </summary>
internal static unsafe class RecvMsgCall<TAbi>
    where TAbi : struct, IPlatformAbi
{
    /// <returns>The bytes received, or -1 with <paramref name="errno"/> set (0 on success).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Receive(SafeHandle socket, Span<byte> data, byte* control, int controlSpace, byte* iov, byte* msg, out int errno)
    {
        int flags = TAbi.MSG_DONTWAIT | (TAbi.Has_MSG_CMSG_CLOEXEC ? TAbi.MSG_CMSG_CLOEXEC : 0);
        nint n;
        using var scope = new FdScope(socket);
        fixed (byte* p = data)
        {
            TAbi.IovecSet(iov, p, (nuint)data.Length);
            TAbi.MsghdrInit(msg, iov, 1, control, (nuint)controlSpace);
            do
            {
                n = TAbi.recvmsg(scope.Fd, msg, flags);
                errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (n < 0 && errno == TAbi.EINTR);
        }
        return n;
    }
}
