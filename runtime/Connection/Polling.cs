using System;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>poll() itself: the target's stub (<see cref="NativePoll{TAbi}"/>) or, for the STREAMS path, its test seam.</summary>
internal unsafe interface IPollCall
{
    int poll(void* fds, nuint count, int timeout);
}

/// <summary>The target's own poll() stub; a struct, so the waits below call it directly.</summary>
internal readonly unsafe struct NativePoll<TAbi> : IPollCall
    where TAbi : struct, IPlatformAbi
{
    public int poll(void* fds, nuint count, int timeout) => TAbi.poll(fds, count, timeout);
}

/// <summary>The waits of every transport, written once over the target's <c>struct pollfd</c> and constants.</summary>
internal static unsafe class Polling<TAbi>
    where TAbi : struct, IPlatformAbi
{
    /// <summary>
    /// <see cref="FdTransport.Poll(SafeHandle, SafeHandle?, bool, int)"/>: 1 when <paramref name="handle"/> is ready,
    /// 0 on time-out, -1 when <paramref name="wake"/> became readable first. EINTR waits again for what is left.
    /// <paramref name="what"/> names what is waited for in errors ("a socket").
    /// </summary>
    public static int PollOne<TCall>(TCall call, FdTransport transport, SafeHandle handle, SafeHandle? wake, bool forWrite, int timeoutMilliseconds, string what)
        where TCall : IPollCall
    {
        using var scope = new FdScope(handle);
        using var wakeScope = wake is null ? default : new FdScope(wake);
        int size = TAbi.PollfdSize;
        byte* pfd = stackalloc byte[2 * size];
        nuint count = wake is null ? 1u : 2u;
        long deadline = timeoutMilliseconds < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            TAbi.PollfdInit(pfd, scope.Fd, (short)(forWrite ? TAbi.POLLOUT : TAbi.POLLIN));
            if (wake is not null)
            {
                TAbi.PollfdInit(pfd + size, wakeScope.Fd, (short)TAbi.POLLIN);
            }
            int wait = timeoutMilliseconds < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = call.poll(pfd, count, wait);
            if (n > 0)
            {
                return wake is not null && TAbi.PollfdRevents(pfd + size) != 0 ? -1 : 1;
            }
            if (n == 0)
            {
                return 0;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != TAbi.EINTR)
            {
                throw transport.Error("poll", errno, $"waiting for {what} to become " + (forWrite ? "writable" : "readable"));
            }
        }
    }

    /// <summary><see cref="FdTransport.PollMany"/>: EINTR returns 0. <paramref name="what"/> names what is waited for in errors ("sockets").</summary>
    public static int PollMany<TCall>(TCall call, FdTransport transport, ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMilliseconds, string what)
        where TCall : IPollCall
    {
        int size = TAbi.PollfdSize;
        byte[] buffer = new byte[size * fds.Length];
        fixed (byte* p = buffer)
        {
            for (int i = 0; i < fds.Length; i++)
            {
                TAbi.PollfdInit(p + (i * size), fds[i], events[i]);
            }
            int n = call.poll(p, (nuint)fds.Length, timeoutMilliseconds);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == TAbi.EINTR)
                {
                    return 0;
                }
                throw transport.Error("poll", errno, $"waiting for {what} to become ready");
            }
            for (int i = 0; i < fds.Length; i++)
            {
                revents[i] = TAbi.PollfdRevents(p + (i * size));
            }
            return n;
        }
    }
}
